package ots

import (
	"math/rand/v2"
	"sync"
	"time"
)

// Faults switches injected failures on and off. Its methods are safe for
// concurrent use; the zero configuration injects nothing.
type Faults struct {
	mu          sync.Mutex
	throttle    float64
	serverError float64
	latency     time.Duration
	dropAfter   float64
	shortPage   int
	emptyPage   float64
	rng         *rand.Rand
}

func newFaults() *Faults {
	return &Faults{rng: rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))}
}

// SetThrottleRate makes a fraction p of requests fail with OTSServerBusy
// (503, which the SDK retries) before they are applied.
func (f *Faults) SetThrottleRate(p float64) { f.set(func() { f.throttle = p }) }

// SetServerErrorRate makes a fraction p of requests fail with
// OTSInternalServerError (500) before they are applied.
func (f *Faults) SetServerErrorRate(p float64) { f.set(func() { f.serverError = p }) }

// SetLatency adds d before every request is handled.
func (f *Faults) SetLatency(d time.Duration) { f.set(func() { f.latency = d }) }

// SetDropAfterCommitRate makes a fraction p of write requests apply their
// change and then close the connection without answering.
func (f *Faults) SetDropAfterCommitRate(p float64) { f.set(func() { f.dropAfter = p }) }

// SetShortPages caps every GetRange page at maxRows rows (0 = no cap);
// the page still carries a NextStartPrimaryKey when rows remain.
func (f *Faults) SetShortPages(maxRows int) { f.set(func() { f.shortPage = maxRows }) }

// SetEmptyPageRate makes a fraction p of GetRange pages come back with no
// rows and a NextStartPrimaryKey, when rows remain.
func (f *Faults) SetEmptyPageRate(p float64) { f.set(func() { f.emptyPage = p }) }

// Reset turns every fault off.
func (f *Faults) Reset() {
	f.set(func() {
		f.throttle, f.serverError, f.latency = 0, 0, 0
		f.dropAfter, f.shortPage, f.emptyPage = 0, 0, 0
	})
}

func (f *Faults) set(fn func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn()
}

// hit draws against rate p.
func (f *Faults) hit(p float64) bool {
	if p <= 0 {
		return false
	}
	return f.rng.Float64() < p
}

// draw decides the faults for one request.
type faultPlan struct {
	latency   time.Duration
	fail      *apiError
	drop      bool
	shortPage int
	emptyPage bool
}

func (f *Faults) plan() faultPlan {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := faultPlan{latency: f.latency, shortPage: f.shortPage}
	switch {
	case f.hit(f.throttle):
		p.fail = errServerBusy
	case f.hit(f.serverError):
		p.fail = errInternal
	}
	p.drop = f.hit(f.dropAfter)
	p.emptyPage = f.hit(f.emptyPage)
	return p
}
