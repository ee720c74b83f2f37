package projects

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/xietong/xietong/shared/dingtalk"
	"github.com/xietong/xietong/shared/directory"
	"github.com/xietong/xietong/shared/tables"
)

// withApprovals lets the university start project approvals through its
// app's client with the fake's project-initiation template, as
// AppsWithApprovals configures it from DINGTALK_APPS.
func (st *stack) withApprovals() {
	st.t.Helper()
	apps := AppsWithApprovals(st.svc.apps, []dingtalk.App{
		{CorpID: uni, ApprovalProcesses: map[string]string{"contract": "PROC-XT-CONTRACT",
			"project": "PROC-XT-PROJECT-INIT"}},
		{CorpID: sup}})
	if _, ok := apps[sup].(ApprovalStarter); ok {
		st.t.Errorf("AppsWithApprovals made %s, without a project template, a starter", sup)
	}
	if _, ok := st.svc.apps[uni].(ApprovalStarter); ok {
		st.t.Errorf("AppsWithApprovals changed the apps it was given")
	}
	st.svc.apps = apps
}

// projectVer is the ver of the project row of d.
func (st *stack) projectVer(d ProjectDetail) int64 {
	st.t.Helper()
	row, err := st.db.Get(context.Background(), tables.Project.Name,
		projectKey(d.Project.Corp, d.Project.ID))
	if err != nil {
		st.t.Fatal(err)
	}
	return row.Ver()
}

// TestProjectApproval starts a project's initiation approval as its lead,
// decides the OA instance in the fake and applies each final outcome as the
// dingtalk-callback function does, three times: the project records it
// once, and a later outcome of the same instance changes nothing.
func TestProjectApproval(t *testing.T) {
	for _, tc := range []struct{ result, outcome string }{
		{"agree", directory.OutcomeApproved},
		{"refuse", directory.OutcomeRejected},
		{"terminate", directory.OutcomeTerminated},
	} {
		t.Run(tc.outcome, func(t *testing.T) {
			st := newStack(t)
			st.withApprovals()
			d := st.demoProject("立项审批")
			path := projectPath(d) + "/approval"
			st.must(dev1, "GET", path, nil, http.StatusNotFound, nil)
			st.must(dev1, "POST", path, nil, http.StatusForbidden, nil)
			var a Approval
			st.must(appsLead, "POST", path, nil, http.StatusCreated, &a)
			if a.InstanceID == "" || a.Outcome != directory.OutcomeRunning {
				t.Fatalf("start = %+v, want a running instance", a)
			}
			var again Approval
			st.must(appsLead, "POST", path, nil, http.StatusCreated, &again)
			if again.InstanceID != a.InstanceID {
				t.Errorf("second ask started %s, want the running %s", again.InstanceID,
					a.InstanceID)
			}
			if _, err := st.fake.ResolveApproval(a.InstanceID, tc.result); err != nil {
				t.Fatal(err)
			}
			decided := directory.Approval{CorpID: uni,
				Object:     directory.Object{Kind: ApprovalKind, ID: d.Project.ID},
				InstanceID: a.InstanceID, Outcome: tc.outcome, Started: a.Started,
				Finished: st.clock.Now()}
			ap := NewApplier(st.db)
			before := st.projectVer(d)
			for range 3 {
				if err := ap.ApplyApproval(context.Background(), decided); err != nil {
					t.Fatal(err)
				}
			}
			if got := st.projectVer(d); got != before+1 {
				t.Errorf("after three deliveries ver = %d, want %d (one write)", got, before+1)
			}
			later := decided
			later.Outcome, later.Finished = directory.OutcomeTerminated, later.Finished.Add(
				time.Minute)
			if tc.outcome == directory.OutcomeTerminated {
				later.Outcome = directory.OutcomeApproved
			}
			if err := ap.ApplyApproval(context.Background(), later); err != nil {
				t.Fatal(err)
			}
			if got := approvalTrail(t, st); !slices.Equal(got, []string{"→running",
				"running→" + tc.outcome}) {
				t.Errorf("approval activity = %v, want the start and one decision", got)
			}
			var got Approval
			st.must(dev1, "GET", path, nil, http.StatusOK, &got)
			if got.InstanceID != a.InstanceID || got.Outcome != tc.outcome ||
				got.Finished == nil || st.projectVer(d) != before+1 {
				t.Errorf("project shows %+v (ver %d), want %s of %s once (ver %d)", got,
					st.projectVer(d), tc.outcome, a.InstanceID, before+1)
			}
		})
	}
}

// approvalTrail lists the university's approval activities as
// "before→after".
func approvalTrail(t *testing.T, st *stack) []string {
	t.Helper()
	rows, _, err := st.db.Page(context.Background(), tables.Activity.Name,
		tables.Range{Prefix: tables.Key{tables.TenantKey(uni)}})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range rows {
		if r.String("verb") == string(approvalVerb) {
			out = append(out, r.String("before")+"→"+r.String("after"))
		}
	}
	return out
}

// TestProjectApprovalRefusals checks the answers to what may not start an
// approval, and that the Applier refuses what is no final project outcome.
func TestProjectApprovalRefusals(t *testing.T) {
	st := newStack(t)
	d := st.demoProject("无审批")
	path := projectPath(d) + "/approval"
	if code, body := st.do(appsLead, "POST", path, nil); code != 422 ||
		errorCode(body) != "approval_not_configured" {
		t.Errorf("without a template = %d %s, want 422 approval_not_configured", code, body)
	}
	st.withApprovals()
	if code, _ := st.do(acmeDev, "POST", path, nil); code != http.StatusForbidden {
		t.Errorf("as another organization's user = %d, want 403", code)
	}
	ap := NewApplier(st.db)
	for _, a := range []directory.Approval{
		{CorpID: uni, Object: directory.Object{Kind: "contract", ID: d.Project.ID},
			InstanceID: "i", Outcome: directory.OutcomeApproved},
		{CorpID: uni, Object: directory.Object{Kind: ApprovalKind, ID: d.Project.ID},
			InstanceID: "i", Outcome: directory.OutcomeRunning},
	} {
		if err := ap.ApplyApproval(context.Background(), a); !errors.Is(err,
			directory.ErrInvalid) {
			t.Errorf("ApplyApproval(%+v) = %v, want ErrInvalid", a, err)
		}
	}
	gone := directory.Approval{CorpID: uni, InstanceID: "i",
		Object:  directory.Object{Kind: ApprovalKind, ID: "p-none"},
		Outcome: directory.OutcomeApproved}
	if err := ap.ApplyApproval(context.Background(), gone); err != nil {
		t.Errorf("ApplyApproval of a missing project = %v, want nil", err)
	}
}
