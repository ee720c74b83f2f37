package reports

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/xietong/xietong/shared/blob"
	"github.com/xietong/xietong/shared/outbox"
	"github.com/xietong/xietong/shared/tables"
)

// objectBase is the OSS prefix of one report's content and charts.
func objectBase(corp, id string) string { return "reports/" + corp + "/" + id + "/" }

func snapshotKey(corp string, k Kind, period, hash string) tables.Key {
	return tables.Key{tables.TenantKey(corp), fmt.Sprintf("s/%s/%s/%s", k, period, hash)}
}

// deliver stores d's charts and content in OSS, writes its snapshot row and
// enqueues it. Each step keeps what an earlier attempt stored: the content
// written first is the one sent and fetched again.
func (s *Service) deliver(ctx context.Context, d *draft) (Report, error) {
	rep, err := s.finish(ctx, d)
	if err != nil {
		return Report{}, err
	}
	id := SnapshotID(rep.Kind, rep.Period, rep.Recipient())
	_, _, hash, _ := parseSnapshotID(id)
	cols := tables.Cols{"kind": string(rep.Kind), "period": rep.Period,
		"audience": rep.Audience, "uid": rep.User, "title": rep.Title,
		"content": objectBase(rep.Corp, id) + "report.json",
		"msg_id":  outbox.MsgID(dedupeKey(rep)), "sent_ms": rep.SentAt.UnixMilli()}
	_, err = s.db.Create(ctx, tables.Report.Name, snapshotKey(rep.Corp, rep.Kind, rep.Period, hash),
		cols)
	if err != nil && !errors.Is(err, tables.ErrExists) {
		return Report{}, err
	}
	_, err = outbox.Enqueue(ctx, s.db, message(rep))
	return rep, err
}

// dedupeKey is the outbox key of a report: the organization reporting, the
// kind, the period and the recipient.
func dedupeKey(r Report) string { return r.Corp + "/" + r.DedupeKey() }

// message is the outbox message of r, sent through the app of the
// recipient's own organization; a group report goes to its chat through
// the app of the reporting organization.
func message(r Report) outbox.Message {
	if r.Audience == AudienceGroup {
		return outbox.Message{Corp: r.Corp, Kind: outbox.KindChat, Chat: r.User,
			Title: r.Title, Body: r.Body, Link: r.Link, DedupeKey: dedupeKey(r)}
	}
	corp, user, ok := strings.Cut(r.User, ":")
	if !ok {
		corp, user = r.Corp, r.User
	}
	m := outbox.Message{Corp: corp, Users: []string{user}, Kind: outbox.KindActionCard,
		Title: r.Title, Body: r.Body, Link: r.Link, DedupeKey: dedupeKey(r)}
	if r.Kind == Daily {
		m.Kind = outbox.KindMarkdown
	}
	return m
}

// finish uploads d's charts, writes the body with their links and stores
// the report's content, or returns the content an earlier attempt stored.
func (s *Service) finish(ctx context.Context, d *draft) (Report, error) {
	id := SnapshotID(d.Kind, d.Period, d.Recipient())
	base := objectBase(d.Corp, id)
	var links []string
	for _, ch := range d.charts {
		if ch.PNG == nil {
			links = append(links, fmt.Sprintf("%s：暂无数据", ch.Caption))
			continue
		}
		key := base + ch.Name
		err := s.files.PutIfAbsent(ctx, key, bytes.NewReader(ch.PNG),
			blob.PutOptions{ContentType: "image/png"})
		if err != nil && !errors.Is(err, blob.ErrExists) {
			return Report{}, err
		}
		u, err := s.files.GetURL(key, s.cfg.LinkTTL)
		if err != nil {
			return Report{}, err
		}
		d.Charts = append(d.Charts, key)
		links = append(links, fmt.Sprintf("![%s](%s)", ch.Caption, u))
	}
	d.Body = d.fit(links)
	d.SentAt = s.cfg.Now().UTC()
	js, err := json.Marshal(d.Report)
	if err != nil {
		return Report{}, fmt.Errorf("reports: encode %q: %w", id, err)
	}
	err = s.files.PutIfAbsent(ctx, base+"report.json", bytes.NewReader(js),
		blob.PutOptions{ContentType: "application/json"})
	if errors.Is(err, blob.ErrExists) {
		return s.content(ctx, d.Corp, id)
	}
	return d.Report, err
}

// content reads the stored content of snapshot id of corp.
func (s *Service) content(ctx context.Context, corp, id string) (Report, error) {
	r, err := s.files.Open(ctx, objectBase(corp, id)+"report.json")
	if err != nil {
		return Report{}, err
	}
	defer r.Close()
	var rep Report
	if err := json.NewDecoder(r).Decode(&rep); err != nil {
		return Report{}, fmt.Errorf("reports: read %q: %w", id, err)
	}
	return rep, nil
}
