package fcrt

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"sync"
)

// logSink writes an instance's output line by line, each prefixed with the function,
// the instance and the request id in progress. The request id is, in order: the one a
// structured line carries itself ("request_id":"<id>"), the job the harness handed to
// the instance (one at a time, so it is the one running), or the SDK's
// "FC Invoke Start RequestId: <id>" markers on stdout, which are themselves not echoed.
// stdout and stderr are separate pipes, so markers alone can lag behind stderr lines.
type logSink struct {
	out      io.Writer
	function string
	instance string

	mu      sync.Mutex
	request string // from the SDK's markers
	job     string // last job handed out by the harness
}

// outMu serialises whole lines from every sink that shares a writer.
var outMu sync.Mutex

func newLogSink(out io.Writer, function, instance string) *logSink {
	if out == nil {
		out = io.Discard
	}
	return &logSink{out: out, function: function, instance: instance}
}

// setJob records the request id of the job just handed to the instance.
func (s *logSink) setJob(id string) {
	s.mu.Lock()
	s.job = id
	s.mu.Unlock()
}

func (s *logSink) writer(stdout bool) *lineWriter {
	return &lineWriter{sink: s, stdout: stdout}
}

const markerPrefix = "FC "

// marker recognises "FC <Kind> Start|End RequestId: <id>[, Error: ...]" and reports
// whether the line should still be printed.
func (s *logSink) marker(line string) (print bool) {
	rest, ok := strings.CutPrefix(line, markerPrefix)
	if !ok {
		return true
	}
	_, after, ok := strings.Cut(rest, " RequestId: ")
	if !ok {
		return true
	}
	id, errText, _ := strings.Cut(after, ",")
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case strings.Contains(rest, " Start RequestId: "):
		s.request = id
		return false
	case strings.Contains(rest, " End RequestId: "):
		s.request = ""
		return errText != ""
	}
	return true
}

func (s *logSink) emit(line string, stdout bool) {
	if stdout && !s.marker(line) {
		return
	}
	req := lineRequestID(line)
	s.mu.Lock()
	if req == "" {
		req = s.job
	}
	if req == "" {
		req = s.request
	}
	s.mu.Unlock()
	if req == "" {
		req = "-"
	}
	outMu.Lock()
	fmt.Fprintf(s.out, "%s[%s] %s | %s\n", s.function, s.instance, req, line)
	outMu.Unlock()
}

// lineRequestID returns the request id a JSON log line carries, or "".
func lineRequestID(line string) string {
	const key = `"request_id":"`
	i := strings.Index(line, key)
	if i < 0 {
		return ""
	}
	rest := line[i+len(key):]
	j := strings.IndexByte(rest, '"')
	if j <= 0 {
		return ""
	}
	return rest[:j]
}

// lineWriter splits a stream into lines for its sink and keeps the last few.
type lineWriter struct {
	sink   *logSink
	stdout bool

	mu   sync.Mutex
	buf  []byte
	last []string
}

const tailLines = 8

// Write splits p into lines and hands each whole line to the sink.
func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		line := string(bytes.TrimRight(w.buf[:i], "\r"))
		w.buf = w.buf[i+1:]
		w.remember(line)
		w.sink.emit(line, w.stdout)
	}
}

func (w *lineWriter) remember(line string) {
	w.last = append(w.last, line)
	if len(w.last) > tailLines {
		w.last = w.last[1:]
	}
}

// tail returns the last lines written, joined.
func (w *lineWriter) tail() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return strings.Join(w.last, " / ")
}
