package tasksapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/xietong/xietong/shared/plan"
)

// attempt is one status update of the concurrency test.
type attempt struct {
	key    string
	req    StatusRequest
	status int
	body   []byte
}

// TestConcurrentStatusUpdates sends 1,000 status updates to one task from
// 20 goroutines, each under the version it last saw and its own
// Idempotency-Key. Every update either wins (200, and the version moves by
// exactly one) or loses (409 with the current task, whose version the
// goroutine uses next). No update is lost: the task's final version is one
// plus the winners, and the trail holds exactly one entry per winner.
// Replaying every key returns the first answer.
func TestConcurrentStatusUpdates(t *testing.T) {
	const workers, each = 20, 50
	st := newStack(t)
	p1 := st.uniProject()
	st.createTask(director, p1, CreateRequest{Title: "热点任务", Assignees: []string{dev1}})
	path := p1 + "/tasks/T-1/status"

	var mu sync.Mutex
	var all []attempt
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cur := Task{Ver: 1, Status: "todo"}
			for i := range each {
				to := "doing"
				if cur.Status == "doing" {
					to = "todo"
				}
				at := attempt{key: fmt.Sprintf("w%d-%d", w, i), req: StatusRequest{
					Ver: cur.Ver, Status: to}}
				a := st.do(director, "POST", path, at.req, at.key)
				at.status, at.body = a.status, a.body
				cur = current(t, a)
				mu.Lock()
				all = append(all, at)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()

	wins, losses := 0, 0
	seen := map[int64]bool{}
	for _, at := range all {
		switch at.status {
		case http.StatusOK:
			wins++
			var got Task
			json.Unmarshal(at.body, &got)
			if got.Ver != at.req.Ver+1 || seen[got.Ver] {
				t.Errorf("win %s: version %d from %d (seen twice: %v)", at.key, got.Ver,
					at.req.Ver, seen[got.Ver])
			}
			seen[got.Ver] = true
		case http.StatusConflict:
			losses++
		default:
			t.Errorf("%s: %d %s", at.key, at.status, at.body)
		}
	}
	var final Task
	st.must(200, director, "GET", p1+"/tasks/T-1", nil).decode(t, &final)
	t.Logf("%d updates: %d won, %d lost with 409; final version %d", len(all), wins, losses,
		final.Ver)
	if wins+losses != workers*each || final.Ver != int64(1+wins) {
		t.Errorf("final version %d after %d wins of %d, want %d", final.Ver, wins, len(all),
			1+wins)
	}
	if n := st.statusEntries(t, "T-1"); n != wins {
		t.Errorf("trail has %d status changes, want %d (one per win)", n, wins)
	}
	st.checkReplays(t, path, all)
}

// current returns the task of a 200 answer or the current task carried by
// a 409.
func current(t *testing.T, a answer) Task {
	var out Task
	if a.status == http.StatusOK {
		json.Unmarshal(a.body, &out)
		return out
	}
	var e struct {
		Error struct{ Details Task } `json:"error"`
	}
	if err := json.Unmarshal(a.body, &e); err != nil || e.Error.Details.Ver == 0 {
		t.Errorf("a %d without the current task: %s", a.status, a.body)
	}
	return e.Error.Details
}

func (st *stack) statusEntries(t *testing.T, task string) int {
	t.Helper()
	trail, err := st.store.Trail(t.Context(), uni, 0)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range trail {
		if e.Verb == plan.TaskStatusChanged && e.ID == task {
			n++
		}
	}
	return n
}

// checkReplays repeats every winning attempt and every tenth losing one
// with its key: winners get their stored answer byte for byte, losers
// their 409 again, and nothing changes.
func (st *stack) checkReplays(t *testing.T, path string, all []attempt) {
	t.Helper()
	var before Task
	st.must(200, director, "GET", p1Of(path)+"/tasks/T-1", nil).decode(t, &before)
	replayed, tried := 0, 0
	for i, at := range all {
		if at.status != http.StatusOK && i%10 != 0 {
			continue
		}
		tried++
		a := st.do(director, "POST", path, at.req, at.key)
		if a.status != at.status {
			t.Errorf("replay %s = %d, first %d", at.key, a.status, at.status)
			continue
		}
		if at.status == http.StatusOK {
			if !bytes.Equal(a.body, at.body) || a.header.Get("Idempotent-Replayed") != "true" {
				t.Errorf("replay %s = %s, first %s", at.key, a.body, at.body)
			}
			replayed++
		}
	}
	var after Task
	st.must(200, director, "GET", p1Of(path)+"/tasks/T-1", nil).decode(t, &after)
	if after.Ver != before.Ver {
		t.Errorf("replays moved the version from %d to %d", before.Ver, after.Ver)
	}
	t.Logf("replayed %d keys: %d stored answers returned, version stays %d", tried,
		replayed, after.Ver)
}

// p1Of returns the project prefix of a task path.
func p1Of(path string) string {
	return path[:len("/api/tasks/"+uni+"/P1")]
}

func TestIdempotentCreates(t *testing.T) {
	st := newStack(t)
	p1 := st.uniProject()
	req := CreateRequest{Title: "只建一次", Assignees: []string{dev1}}
	first := st.do(director, "POST", p1+"/tasks", req, "create-1")
	again := st.do(director, "POST", p1+"/tasks", req, "create-1")
	if first.status != 201 || again.status != 201 || !bytes.Equal(first.body, again.body) ||
		again.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("create then replay = %d %s / %d %s", first.status, first.body, again.status,
			again.body)
	}
	other := st.do(director, "POST", p1+"/tasks", CreateRequest{Title: "别的"}, "create-1")
	if other.status != 422 || other.errorCode() != "idempotency_key_reused" {
		t.Errorf("another body under the key = %d %s, want 422", other.status, other.body)
	}
	// The same key of another user is theirs.
	st.must(201, dev1, "POST", p1+"/tasks", req)
	wl := WorkLogRequest{Minutes: 30, Date: "2026-12-03"}
	w1 := st.do(dev1, "POST", p1+"/tasks/T-1/worklogs", wl, "log-1")
	w2 := st.do(dev1, "POST", p1+"/tasks/T-1/worklogs", wl, "log-1")
	if w1.status != 201 || !bytes.Equal(w1.body, w2.body) {
		t.Errorf("work log replay = %s / %s", w1.body, w2.body)
	}
	var list TaskList
	st.must(200, director, "GET", p1+"/tasks", nil).decode(t, &list)
	var logs struct{ Items []WorkLog }
	st.must(200, director, "GET", p1+"/tasks/T-1/worklogs", nil).decode(t, &logs)
	if len(list.Items) != 2 || len(logs.Items) != 1 || len(noticeTitles(st, uni)) != 1 {
		t.Errorf("%d tasks, %d logs, %d notices; want 2, 1 and 1", len(list.Items),
			len(logs.Items), len(noticeTitles(st, uni)))
	}
}

// TestConcurrentDependenciesStayAcyclic makes pairs of tasks depend on each
// other from two clients at once. Each side alone is fine; together they
// loop. Whatever the interleaving, at most one side stands, the loser gets
// a 409 or 422, and the plan stays loadable.
func TestConcurrentDependenciesStayAcyclic(t *testing.T) {
	const pairs = 8
	st := newStack(t)
	p1 := st.uniProject()
	for range 2 * pairs {
		st.createTask(director, p1, CreateRequest{Title: "x"})
	}
	stood := 0
	for i := range pairs {
		a, b := fmt.Sprintf("T-%d", 2*i+1), fmt.Sprintf("T-%d", 2*i+2)
		var wg sync.WaitGroup
		res := make([]answer, 2)
		for k, pair := range [][2]string{{a, b}, {b, a}} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res[k] = st.do(director, "POST", p1+"/tasks/"+pair[0]+"/dependencies",
					DependencyRequest{Ver: 1, After: pair[1]}, "")
			}()
		}
		wg.Wait()
		ok := 0
		for _, r := range res {
			switch r.status {
			case 200:
				ok++
			case 409, 422:
			default:
				t.Errorf("pair %s/%s: %d %s", a, b, r.status, r.body)
			}
		}
		if ok > 1 {
			t.Errorf("pair %s/%s: both dependencies stood", a, b)
		}
		stood += ok
	}
	if _, err := st.store.Load(t.Context(), uni, "P1"); err != nil {
		t.Fatalf("plan no longer loads: %v", err)
	}
	t.Logf("%d pairs raced: %d dependencies stood, %d refused or undone", pairs, stood,
		2*pairs-stood)
}
