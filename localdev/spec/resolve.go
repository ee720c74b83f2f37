package spec

import (
	"fmt"
	"strings"
)

// resolver expands ${...} magic variables.
type resolver struct {
	opts Options
	vars map[string]string
}

func (r *resolver) resolveVars(vars orderedMap[any]) error {
	for _, k := range vars.keys {
		v, err := r.resolveTree(vars.items[k])
		if err != nil {
			return fmt.Errorf("%w: vars.%s: %v", ErrInvalid, k, err)
		}
		r.vars[k] = fmt.Sprint(v)
	}
	return nil
}

// resolveTree returns a copy of v with every string expanded.
func (r *resolver) resolveTree(v any) (any, error) {
	switch t := v.(type) {
	case string:
		return r.expand(t)
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, item := range t {
			rv, err := r.resolveTree(item)
			if err != nil {
				return nil, fmt.Errorf("%s: %v", k, err)
			}
			out[k] = rv
		}
		return out, nil
	case []any:
		out := make([]any, len(t))
		for i, item := range t {
			rv, err := r.resolveTree(item)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %v", i, err)
			}
			out[i] = rv
		}
		return out, nil
	default:
		return v, nil
	}
}

// expand replaces every ${expr} in s.
func (r *resolver) expand(s string) (string, error) {
	var b strings.Builder
	for {
		start := strings.Index(s, "${")
		if start < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		end := closingBrace(s, start+2)
		if end < 0 {
			return "", fmt.Errorf("unterminated ${ in %q", s)
		}
		val, err := r.eval(strings.TrimSpace(s[start+2 : end]))
		if err != nil {
			return "", err
		}
		b.WriteString(s[:start])
		b.WriteString(val)
		s = s[end+1:]
	}
}

// closingBrace finds the } that closes an expression starting at i, skipping quoted text.
func closingBrace(s string, i int) int {
	var quote byte
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '}':
			return i
		}
	}
	return -1
}

func (r *resolver) eval(expr string) (string, error) {
	if name, ok := strings.CutPrefix(expr, "vars."); ok {
		v, found := r.vars[name]
		if !found {
			return "", fmt.Errorf("${%s}: no such var (vars resolve in file order)", expr)
		}
		return v, nil
	}
	fn, args, err := parseCall(expr)
	if err != nil {
		return "", err
	}
	switch {
	case fn == "env" && (len(args) == 1 || len(args) == 2):
		if v, ok := r.opts.Env[args[0]]; ok {
			return v, nil
		}
		if len(args) == 2 {
			return args[1], nil
		}
		return "", nil
	case fn == "config" && len(args) == 1:
		return r.opts.Config[args[0]], nil
	}
	return "", fmt.Errorf("${%s}: unsupported expression", expr)
}

// parseCall parses name('a', "b").
func parseCall(expr string) (string, []string, error) {
	open := strings.IndexByte(expr, '(')
	if open < 0 || !strings.HasSuffix(expr, ")") {
		return "", nil, fmt.Errorf("${%s}: unsupported expression", expr)
	}
	name := strings.TrimSpace(expr[:open])
	rest := strings.TrimSpace(expr[open+1 : len(expr)-1])
	var args []string
	for rest != "" {
		q := rest[0]
		if q != '\'' && q != '"' {
			return "", nil, fmt.Errorf("${%s}: arguments must be quoted strings", expr)
		}
		end := strings.IndexByte(rest[1:], q)
		if end < 0 {
			return "", nil, fmt.Errorf("${%s}: unterminated string", expr)
		}
		args = append(args, rest[1:end+1])
		rest = strings.TrimSpace(rest[end+2:])
		rest = strings.TrimSpace(strings.TrimPrefix(rest, ","))
	}
	return name, args, nil
}
