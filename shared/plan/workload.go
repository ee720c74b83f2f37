package plan

import (
	"cmp"
	"slices"
	"time"
)

// Load is one member's work in one ISO week: Planned minutes of remaining
// estimated work scheduled into the week, and minutes Logged in it.
type Load struct {
	User    string // "" for unassigned work
	Week    Week
	Planned int64
	Logged  int64
}

// Workload spreads the remaining work of open tasks without subtasks over
// weeks and adds the logged work, per member, as of today:
//
//   - remaining work is Estimate × (100 − Progress)%, rounded down;
//   - it is spread evenly over the weekdays from Start (or Due when Start
//     is unset) to Due, but never before today; work of an overdue task all
//     falls on today; a span with no weekday puts it all on its first day;
//   - minutes left over by integer division go to the earliest days;
//   - each assignee gets an equal share (the remainder to the first listed);
//   - tasks without Due or Estimate plan nothing.
//
// Rows are ordered by user, then week.
func (p *Plan) Workload(today Date) []Load {
	type key struct {
		user string
		week Week
	}
	load := map[key]*Load{}
	row := func(u string, w Week) *Load {
		k := key{u, w}
		if load[k] == nil {
			load[k] = &Load{User: u, Week: w}
		}
		return load[k]
	}
	for _, t := range p.list {
		for _, share := range p.planned(t, today) {
			row(share.user, share.day.Week()).Planned += share.minutes
		}
	}
	for _, w := range p.logs {
		row(w.User, w.Date.Week()).Logged += w.Minutes
	}
	out := make([]Load, 0, len(load))
	for _, l := range load {
		out = append(out, *l)
	}
	slices.SortFunc(out, func(a, b Load) int {
		return cmp.Or(cmp.Compare(a.User, b.User), cmp.Compare(a.Week.Year, b.Week.Year),
			cmp.Compare(a.Week.Week, b.Week.Week))
	})
	return out
}

type share struct {
	user    string
	day     Date
	minutes int64
}

// planned splits t's remaining work into per-user, per-day shares.
func (p *Plan) planned(t *Task, today Date) []share {
	if t.Status.Closed() || len(p.kids[t.ID]) > 0 || t.Due == 0 || t.Estimate == 0 {
		return nil
	}
	remaining := t.Estimate * int64(100-t.Progress) / 100
	days := spanDays(t.Start, t.Due, today)
	users := t.Assignees
	if len(users) == 0 {
		users = []string{""}
	}
	var out []share
	for i, d := range days {
		perDay := split(remaining, len(days), i)
		for j, u := range users {
			if m := split(perDay, len(users), j); m > 0 {
				out = append(out, share{u, d, m})
			}
		}
	}
	return out
}

// split returns part i of n near-equal parts of total, the first parts
// taking the remainder.
func split(total int64, n, i int) int64 {
	q, r := total/int64(n), total%int64(n)
	if int64(i) < r {
		return q + 1
	}
	return q
}

// spanDays lists the days that carry a task's planned work.
func spanDays(start, due, today Date) []Date {
	if start == 0 {
		start = due
	}
	start = max(start, today)
	if due < start {
		return []Date{today}
	}
	var days []Date
	for d := start; d <= due; d++ {
		if wd := d.Weekday(); wd != time.Saturday && wd != time.Sunday {
			days = append(days, d)
		}
	}
	if len(days) == 0 {
		return []Date{start}
	}
	return days
}
