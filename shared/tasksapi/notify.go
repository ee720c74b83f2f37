package tasksapi

import (
	"context"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/xietong/xietong/shared/directory"
	"github.com/xietong/xietong/shared/outbox"
	"github.com/xietong/xietong/shared/plan"
	"github.com/xietong/xietong/shared/projects"
	"github.com/xietong/xietong/shared/runtime"
)

// notify enqueues the notices a task change implies:
//
//   - task assigned: to the users newly assigned;
//   - status changed: to the assignees and the task's creator, and to the
//     project's leads when the task reaches review, done or blocked.
//
// The actor is never told of their own change.
func (s *Service) notify(ctx context.Context, c projects.Principal, pj *project,
	before *plan.Task, after plan.Task, acts []plan.Activity) {
	pr := pj.plan().Project()
	ver := "v" + strconv.FormatInt(after.Ver, 10)
	for _, a := range acts {
		switch a.Verb {
		case plan.TaskAssigned:
			var old []string
			if before != nil {
				old = before.Assignees
			}
			added := slices.DeleteFunc(slices.Clone(after.Assignees), func(u string) bool {
				return slices.Contains(old, u)
			})
			s.send(ctx, c, pj, after, "task.assigned", added, "你有新任务："+after.Title,
				pr.Name+dueText(after), ver)
		case plan.TaskStatusChanged:
			to := append(slices.Clone(after.Assignees), after.CreatedBy)
			if st := after.Status; st == plan.Review || st == plan.Done || st == plan.Blocked {
				to = append(to, leads(pj.plan())...)
			}
			s.send(ctx, c, pj, after, "task.status", to, "任务状态变更："+after.Title,
				pr.Name+" · "+statusText(a.Before)+" → "+statusText(a.After), ver)
		}
	}
}

func leads(p *plan.Plan) []string {
	var out []string
	for _, m := range p.Members() {
		if m.Role == plan.RoleLead {
			out = append(out, m.User)
		}
	}
	return out
}

func dueText(t plan.Task) string {
	if t.Due == 0 {
		return ""
	}
	return " · 截止 " + t.Due.String()
}

var statusNames = map[string]string{"todo": "待办", "doing": "进行中", "review": "待验收",
	"done": "已完成", "blocked": "受阻", "cancelled": "已取消"}

func statusText(s string) string {
	if n, ok := statusNames[s]; ok {
		return n
	}
	return s
}

// send enqueues one action card per organization to the users (uids),
// through each user's own organization's app, deduped on kind, task and
// version. External contacts get no work notice.
//
// TODO(#6): reach external contacts (supplier "ext:" ids) through their
// company's own app or a group robot.
func (s *Service) send(ctx context.Context, c projects.Principal, pj *project, t plan.Task,
	kind string, uids []string, title, body, ver string) {
	byCorp := map[string][]string{}
	for _, uid := range uids {
		corp, user, _ := strings.Cut(uid, ":")
		if uid == c.UID || user == "" || strings.HasPrefix(user, directory.ExternalPrefix) ||
			slices.Contains(byCorp[corp], user) {
			continue
		}
		byCorp[corp] = append(byCorp[corp], user)
	}
	link := s.cfg.AppURL + "/tasks/" + url.PathEscape(pj.corp) + "/" + url.PathEscape(pj.id) +
		"/" + url.PathEscape(t.ID)
	for corp, users := range byCorp {
		slices.Sort(users)
		key := kind + "/" + pj.corp + "/" + pj.id + "/" + t.ID + "/" + ver + "/" +
			strings.Join(users, ",")
		if len(key) > outbox.MaxDedupeKey {
			key = key[:outbox.MaxDedupeKey]
		}
		_, err := outbox.Enqueue(ctx, s.db, outbox.Message{Corp: corp, Users: users,
			Kind: outbox.KindActionCard, Title: clip(title, outbox.MaxTitle), Body: body,
			Link: link, DedupeKey: key})
		if err != nil {
			runtime.Logger(ctx).Warn("notify", "project", pj.id, "kind", kind, "error", err)
		}
	}
}

// clip shortens s to at most n bytes on a rune boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
