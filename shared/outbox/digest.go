package outbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xietong/xietong/shared/dingtalk"
	"github.com/xietong/xietong/shared/tables"
)

// digestItem is one over-budget notice listed in a digest.
type digestItem struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	Link  string `json:"link,omitempty"`
}

// maxDigestItems caps the items a digest row lists; later ones are counted.
const maxDigestItems = 50

var chinaTime = time.FixedZone("CST", 8*3600)

// nextDay returns the DingTalk day after day and the instant it starts.
func nextDay(day string) (string, time.Time) {
	t, err := time.ParseInLocation(time.DateOnly, day, chinaTime)
	if err != nil {
		t = time.Now().In(chinaTime)
	}
	n := t.AddDate(0, 0, 1)
	return n.Format(time.DateOnly), n
}

// itemTitle is how a notice is named in a digest.
func itemTitle(m Message) string {
	if m.Title != "" {
		return m.Title
	}
	t := strings.TrimSpace(strings.SplitN(m.Body, "\n", 2)[0])
	if utf8.RuneCountInString(t) > 40 {
		t = string([]rune(t)[:40]) + "…"
	}
	return t
}

// addToDigest lists item in user's digest of today, or of a later day when
// today's has already gone, and returns the day of the digest.
func (d *Drainer) addToDigest(ctx context.Context, s *sender, user string,
	item digestItem) (string, error) {
	day := dingtalk.Day(d.now())
	for range 3 {
		ok, err := d.appendDigest(ctx, s, day, user, item)
		if err != nil {
			return "", fmt.Errorf("outbox: digest %q of %s: %w", user, day, err)
		}
		if ok {
			return day, nil
		}
		day, _ = nextDay(day)
	}
	return "", fmt.Errorf("outbox: digest %q: no open digest up to %s", user, day)
}

func digestKey(corp, day, user string) tables.Key {
	return tables.Key{tables.TenantKey(corp), digestPrefix + day + "/" + user}
}

// appendDigest adds item to user's digest of day, once; false means that
// digest is no longer pending.
func (d *Drainer) appendDigest(ctx context.Context, s *sender, day, user string,
	item digestItem) (bool, error) {
	key := digestKey(s.corp, day, user)
	for range maxRaces {
		row, err := d.store.Get(ctx, tables.Outbox.Name, key)
		if errors.Is(err, tables.ErrNotFound) {
			err = d.createDigest(ctx, key, day, user, item)
			if errors.Is(err, tables.ErrExists) {
				continue
			}
			return err == nil, err
		}
		if err != nil {
			return false, err
		}
		if row.String(colState) != StatePending {
			return false, nil
		}
		var items []digestItem
		_ = json.Unmarshal([]byte(row.String(colItems)), &items)
		set := tables.Cols{}
		switch {
		case hasItem(items, item.ID):
			return true, nil
		case len(items) < maxDigestItems:
			b, _ := json.Marshal(append(items, item))
			set[colItems] = string(b)
		default:
			set[colMore] = row.Int(colMore) + 1 // TODO(#6): a replayed append counts twice
		}
		_, err = d.store.Update(ctx, tables.Outbox.Name, key, row.Ver(), tables.Change{Set: set})
		if _, lost := tables.Current(err); !lost {
			return err == nil, err
		}
	}
	return false, errContended
}

func (d *Drainer) createDigest(ctx context.Context, key tables.Key, day, user string,
	item digestItem) error {
	users, _ := json.Marshal([]string{user})
	items, _ := json.Marshal([]digestItem{item})
	_, due := nextDay(day)
	_, err := d.store.Create(ctx, tables.Outbox.Name, key, tables.Cols{colKind: rowKind,
		colType: string(kindDigest), colUsers: string(users), colTitle: "通知摘要 " + day,
		colState: StatePending, colAttempt: int64(0), colDue: due.UnixMilli(), colDay: day,
		colItems: string(items), colMore: int64(0), colCreated: d.now().UnixMilli()})
	return err
}

func hasItem(items []digestItem, id string) bool {
	for _, it := range items {
		if it.ID == id {
			return true
		}
	}
	return false
}

// sendDigest sends a digest row as one markdown notice through the budget
// that may spend the digest slot.
func (d *Drainer) sendDigest(ctx context.Context, s *sender, r *tables.Row, m Message,
	attempt int64) outcome {
	var items []digestItem
	if err := json.Unmarshal([]byte(r.String(colItems)), &items); err != nil {
		return outcome{err: fmt.Errorf("outbox: digest %q: items: %w", r.Key.String(), err),
			final: true}
	}
	m.Body = digestBody(r.String(colDay), items, r.Int(colMore))
	return d.sendNotice(ctx, s, s.digest, r, m, attempt)
}

// digestBody lists items as markdown, as many as fit in one notice, and
// counts the rest.
func digestBody(day string, items []digestItem, more int64) string {
	total := int64(len(items)) + more
	head := fmt.Sprintf("%s 有 %d 条通知超出当日推送额度，汇总如下：\n\n", day,
		total)
	var b strings.Builder
	b.WriteString(head)
	listed := int64(0)
	for _, it := range items {
		line := "- " + it.Title + "\n"
		if it.Link != "" {
			line = "- [" + it.Title + "](" + it.Link + ")\n"
		}
		if !fits("通知摘要 "+day, b.String()+line+tail(total)) {
			break
		}
		b.WriteString(line)
		listed++
	}
	if listed < total {
		b.WriteString(fmt.Sprintf("\n……另有 %d 条", total-listed))
	}
	return b.String()
}

func tail(total int64) string { return fmt.Sprintf("\n……另有 %d 条", total) }

// fits reports whether a markdown notice of title and text encodes within
// DingTalk's limit.
func fits(title, text string) bool {
	enc, _ := json.Marshal(dingtalk.MarkdownMessage(title, text))
	return len(enc) <= dingtalk.MaxNoticeBytes
}
