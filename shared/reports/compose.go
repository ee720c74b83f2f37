package reports

import (
	"cmp"
	"slices"
	"strings"
	"sync"

	"github.com/xietong/xietong/shared/plan"
)

// composer writes the reports of one run.
type composer struct {
	org    *orgData
	staff  *dirStaff
	kind   Kind
	period string
	appURL string
	mu     sync.Mutex
	weeks  map[string]projectWeek // by project id, computed once per run
}

func (c *composer) newDraft(k Kind, audience, uid, title, link string) *draft {
	return &draft{Report: Report{Kind: k, Period: c.period, Corp: c.org.Corp,
		Audience: audience, User: uid, Title: title, Link: link}}
}

// name returns the display name of uid: the directory's, else the
// member row's, else its userid part.
func (c *composer) name(uid string) string {
	if c.staff != nil && c.staff.Names[uid] != "" {
		return c.staff.Names[uid]
	}
	if n := c.org.Names[uid]; n != "" {
		return n
	}
	_, user, _ := strings.Cut(uid, ":")
	return user
}

// job is one recipient's report, composed on demand so that a run resumed
// late does not render what it already sent.
type job struct {
	recipient string // "<audience>:<uid>"
	compose   func() (*draft, error)
}

// jobs lists the reports of the run, ordered by recipient.
func (c *composer) jobs() []job {
	var out []job
	switch c.kind {
	case Daily:
		for uid, l := range dailyLists(c.org) {
			if !l.empty() {
				out = append(out, job{AudiencePerson + ":" + uid, func() (*draft, error) {
					return c.dailyReport(uid, l), nil
				}})
			}
		}
	case Weekly:
		for uid, ps := range c.ledProjects() {
			out = append(out, job{AudienceLead + ":" + uid, func() (*draft, error) {
				return c.leadReport(uid, ps)
			}})
		}
		for uid, depts := range c.staff.Managers {
			if ps := c.deptPlans(depts); len(ps) > 0 {
				out = append(out, job{AudienceDept + ":" + uid, func() (*draft, error) {
					return c.deptReport(uid, depts, ps)
				}})
			}
		}
		out = append(out, c.groupJobs()...)
	case Monthly:
		for _, uid := range c.staff.Executives {
			out = append(out, job{AudienceExecutive + ":" + uid, func() (*draft, error) {
				return c.monthlyReport(uid)
			}})
		}
	}
	slices.SortFunc(out, func(a, b job) int { return cmp.Compare(a.recipient, b.recipient) })
	return out
}

// ledProjects maps each lead to the open projects they lead.
func (c *composer) ledProjects() map[string][]*plan.Plan {
	out := map[string][]*plan.Plan{}
	for _, p := range c.org.Plans {
		if closedProject(p) {
			continue
		}
		for _, m := range p.Members() {
			if m.Role == plan.RoleLead {
				out[m.User] = append(out[m.User], p)
			}
		}
	}
	return out
}

// deptPlans lists the open projects owned by depts.
func (c *composer) deptPlans(depts []string) []*plan.Plan {
	var out []*plan.Plan
	for _, p := range c.org.Plans {
		if !closedProject(p) && slices.Contains(depts, p.Project().Department) {
			out = append(out, p)
		}
	}
	return out
}
