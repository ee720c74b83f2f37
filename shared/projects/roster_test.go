package projects

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/xietong/xietong/shared/plan"
	"github.com/xietong/xietong/shared/tables"
)

// rowsRoster reads the roster that project corp/id's member and milestone
// rows make, as a Roster.
func (st *stack) rowsRoster(corp, id string) *Roster {
	st.t.Helper()
	ctx := context.Background()
	ms, err := st.svc.Store().members(ctx, corp, id, map[string]int64{})
	if err != nil {
		st.t.Fatal(err)
	}
	mss, err := st.svc.Store().milestones(ctx, corp, id)
	if err != nil {
		st.t.Fatal(err)
	}
	return &Roster{Members: append([]plan.Member{}, ms...),
		Milestones: append([]plan.Milestone{}, mss...)}
}

// checkRoster fails unless project d's row carries a current roster equal
// to its rows.
func (st *stack) checkRoster(t *testing.T, d ProjectDetail, when string) {
	t.Helper()
	rec, err := st.svc.Store().Project(context.Background(), d.Project.Corp, d.Project.ID)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Roster == nil {
		t.Fatalf("%s: project row has no current roster", when)
	}
	if diff := cmp.Diff(st.rowsRoster(d.Project.Corp, d.Project.ID), rec.Roster); diff != "" {
		t.Errorf("%s: roster differs from the rows (-rows +roster):\n%s", when, diff)
	}
}

// TestRosterFollowsWrites checks the project row's roster after each kind
// of member and milestone write, and that none of them moves the project's
// ver: an update at the version read before them still lands.
func TestRosterFollowsWrites(t *testing.T) {
	st := newStack(t)
	d := st.demoProject("名册")
	path := projectPath(d)
	st.checkRoster(t, d, "after create")
	steps := []struct {
		name, method, path string
		body               any
		want               int
	}{
		{"add member", "POST", "/members", MemberInput{Corp: sup, UserID: "a-dev",
			Role: "supplier"}, http.StatusCreated},
		{"set role", "PATCH", "/members/" + acmeDev, RoleRequest{Ver: 1, Role: "member"},
			http.StatusOK},
		{"remove member", "DELETE", "/members/" + dev1 + "?ver=1", nil,
			http.StatusNoContent},
		{"add milestone", "POST", "/milestones", MilestoneRequest{Title: "上线",
			Due: "2026-12-20"}, http.StatusCreated},
		{"edit milestone", "PATCH", "/milestones/M-1", MilestoneEditRequest{Ver: 1,
			Due: ptr("2026-12-24")}, http.StatusOK},
		{"accept milestone", "POST", "/milestones/M-1/accept", AcceptRequest{Ver: 2},
			http.StatusOK},
	}
	for _, s := range steps {
		st.must(appsLead, s.method, path+s.path, s.body, s.want, nil)
		st.checkRoster(t, d, s.name)
	}
	rec, _ := st.svc.Store().Project(context.Background(), uni, d.Project.ID)
	if m := rec.Roster.Milestones[0]; m.AcceptedBy != appsLead || m.AcceptedAt.IsZero() ||
		m.Ver != 3 {
		t.Errorf("roster milestone = %+v, want M-1 accepted by the lead at ver 3", m)
	}
	var pr Project
	st.must(appsLead, "PATCH", path, UpdateRequest{Ver: d.Project.Ver, Name: ptr("名册二")},
		http.StatusOK, &pr)
	if pr.Ver != d.Project.Ver+1 {
		t.Errorf("project ver after update = %d, want %d", pr.Ver, d.Project.Ver+1)
	}
}

// jitter delays each Tablestore request by up to 8 ms, so that racing
// writers interleave between their reads and their writes.
func jitter(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(time.Duration(rand.N(8000)) * time.Microsecond)
		h.ServeHTTP(w, r)
	})
}

// TestRosterConcurrentWriters races member adds and milestone edits on one
// project, with requests to the store delayed at random; the roster ends
// equal to the rows.
func TestRosterConcurrentWriters(t *testing.T) {
	st := newStackVia(t, jitter)
	d := st.demoProject("并发名册")
	path := projectPath(d)
	const milestones = 3
	for i := range milestones {
		st.must(appsLead, "POST", path+"/milestones", MilestoneRequest{
			Title: fmt.Sprint("里程碑 ", i), Due: "2026-12-20"}, http.StatusCreated, nil)
	}
	type req struct {
		method, path string
		body         any
	}
	var reqs []req
	for _, u := range []string{"u-it-director", "u-infra-lead", "u-dev-2", "u-finance-head",
		"u-accountant"} {
		reqs = append(reqs, req{"POST", "/members", MemberInput{Corp: uni, UserID: u,
			Role: "member"}})
	}
	reqs = append(reqs, req{"POST", "/members", MemberInput{Corp: sup, UserID: "a-dev",
		Role: "supplier"}})
	for i := 1; i <= milestones; i++ {
		reqs = append(reqs, req{"PATCH", fmt.Sprintf("/milestones/M-%d", i),
			MilestoneEditRequest{Ver: 1, Title: ptr(fmt.Sprint("改名 ", i))}})
	}
	st.as(appsLead) // signed in before the race: the token cache is not locked
	codes := make([]int, len(reqs))
	var wg sync.WaitGroup
	for i, r := range reqs {
		wg.Go(func() { codes[i], _ = st.do(appsLead, r.method, path+r.path, r.body) })
	}
	wg.Wait()
	for i, c := range codes {
		if c != http.StatusCreated && c != http.StatusOK {
			t.Errorf("%s %s = %d, want success", reqs[i].method, reqs[i].path, c)
		}
	}
	st.checkRoster(t, d, "after the race")
	rec, _ := st.svc.Store().Project(context.Background(), uni, d.Project.ID)
	if rec.Roster != nil && (len(rec.Roster.Members) != 5+6 ||
		rec.Roster.Milestones[2].Title != "改名 3") {
		t.Errorf("roster = %d members, milestones %+v; want 11 members and renamed ones",
			len(rec.Roster.Members), rec.Roster.Milestones)
	}
}

// TestRosterStaleOrBroken checks that a roster behind its rows (a writer
// stopped between its row and the rebuild) or unreadable is not trusted,
// and that RebuildRoster repairs it.
func TestRosterStaleOrBroken(t *testing.T) {
	st := newStack(t)
	ctx := context.Background()
	d := st.demoProject("修复")
	store, corp, id := st.svc.Store(), d.Project.Corp, d.Project.ID
	breaks := []struct {
		name  string
		spoil func() error
	}{
		{"marked, never rebuilt", func() error { return store.markRoster(ctx, corp, id) }},
		{"unreadable", func() error {
			row, err := st.db.Get(ctx, tables.Project.Name, projectKey(corp, id))
			if err != nil {
				return err
			}
			_, err = st.db.Update(ctx, tables.Project.Name, projectKey(corp, id), row.Ver(),
				tables.Change{Set: tables.Cols{colRoster: "{not json"}})
			return err
		}},
		{"missing", func() error {
			row, err := st.db.Get(ctx, tables.Project.Name, projectKey(corp, id))
			if err != nil {
				return err
			}
			_, err = st.db.Update(ctx, tables.Project.Name, projectKey(corp, id), row.Ver(),
				tables.Change{Delete: []string{colRoster, colMSList}})
			return err
		}},
	}
	for _, b := range breaks {
		if err := b.spoil(); err != nil {
			t.Fatalf("%s: %v", b.name, err)
		}
		if rec, err := store.Project(ctx, corp, id); err != nil || rec.Roster != nil {
			t.Errorf("%s: Roster = %+v, %v; want nil", b.name, rec.Roster, err)
		}
		if err := store.RebuildRoster(ctx, corp, id); err != nil {
			t.Fatalf("%s: RebuildRoster = %v", b.name, err)
		}
		st.checkRoster(t, d, b.name+", rebuilt")
	}
	if err := store.RebuildRoster(ctx, corp, "p-none"); !errors.Is(err, tables.ErrNotFound) {
		t.Errorf("RebuildRoster of a missing project = %v, want tables.ErrNotFound", err)
	}
}

// TestRosterRebuildLosesRace holds a rebuild between its read of the rows
// and its write while a member is added: the held rebuild must not write
// its stale roster over the newer one.
func TestRosterRebuildLosesRace(t *testing.T) {
	st := newStack(t)
	ctx := context.Background()
	d := st.demoProject("慢重建")
	slow, err := NewStore(st.db)
	if err != nil {
		t.Fatal(err)
	}
	held, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	slow.beforeRosterWrite = func() {
		once.Do(func() {
			close(held)
			<-release
		})
	}
	done := make(chan error, 1)
	go func() { done <- slow.RebuildRoster(ctx, d.Project.Corp, d.Project.ID) }()
	<-held
	st.must(appsLead, "POST", projectPath(d)+"/members", MemberInput{Corp: uni,
		UserID: "u-dev-2", Role: "member"}, http.StatusCreated, nil)
	close(release)
	if err := <-done; err != nil {
		t.Fatalf("held RebuildRoster = %v", err)
	}
	st.checkRoster(t, d, "after the held rebuild")
}
