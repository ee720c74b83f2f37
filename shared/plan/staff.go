package plan

import (
	"cmp"
	"slices"
)

// MyTask is a task in a staff member's list, with the project it is in.
type MyTask struct {
	Project     string
	ProjectName string
	Corp        string // the project's owning organization
	Task
}

// MyTasks lists the open tasks assigned to user across plans (of any
// organization), by due date (undated last), then higher priority first,
// then plan and creation order.
func MyTasks(plans []*Plan, user string) []MyTask {
	var out []MyTask
	for _, p := range plans {
		for _, t := range p.list {
			if t.Status.Closed() || !t.assigned(user) {
				continue
			}
			out = append(out, MyTask{Project: p.project.ID, ProjectName: p.project.Name,
				Corp: p.project.Org.Corp, Task: t.clone()})
		}
	}
	slices.SortStableFunc(out, func(a, b MyTask) int {
		return cmp.Or(compareDue(a.Due, b.Due), cmp.Compare(b.Priority.Rank(), a.Priority.Rank()))
	})
	return out
}

func compareDue(a, b Date) int {
	switch {
	case a == b:
		return 0
	case a == 0:
		return 1
	case b == 0:
		return -1
	}
	return cmp.Compare(a, b)
}

// MyLog is a work log with the project it belongs to.
type MyLog struct {
	Project string
	WorkLog
}

// WeekLogs are one ISO week of a user's work logs.
type WeekLogs struct {
	Week    Week
	Minutes int64
	Logs    []MyLog // by date, then in the order logged
}

// MyWeeks groups the work user did (logged by them or for them) across
// plans by ISO week, the most recent week first.
func MyWeeks(plans []*Plan, user string) []WeekLogs {
	byWeek := map[Week]*WeekLogs{}
	for _, p := range plans {
		for _, w := range p.logs {
			if w.User != user {
				continue
			}
			wk := w.Date.Week()
			if byWeek[wk] == nil {
				byWeek[wk] = &WeekLogs{Week: wk}
			}
			byWeek[wk].Minutes += w.Minutes
			byWeek[wk].Logs = append(byWeek[wk].Logs, MyLog{Project: p.project.ID, WorkLog: w})
		}
	}
	out := make([]WeekLogs, 0, len(byWeek))
	for _, wl := range byWeek {
		slices.SortStableFunc(wl.Logs, func(a, b MyLog) int { return cmp.Compare(a.Date, b.Date) })
		out = append(out, *wl)
	}
	slices.SortFunc(out, func(a, b WeekLogs) int {
		return cmp.Or(cmp.Compare(b.Week.Year, a.Week.Year), cmp.Compare(b.Week.Week, a.Week.Week))
	})
	return out
}
