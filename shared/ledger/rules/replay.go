package rules

import (
	"bytes"
	"errors"
	"fmt"
	"slices"

	"github.com/xietong/xietong/shared/ledger/envelope"
)

// Finding is an entry whose admission or recorded result a replay of the
// log does not reproduce.
type Finding struct {
	Index   uint64
	Type    envelope.Type
	Problem string
}

// String returns the finding as one line.
func (f Finding) String() string {
	return fmt.Sprintf("entry %d (%s): %s", f.Index, f.Type, f.Problem)
}

// replayer is the state a replay keeps while it walks the log.
type replayer struct {
	log      []Record
	grants   []Grant
	pools    map[string]*Pool
	firsts   map[envelope.Digest]uint64
	uses     map[uint64]Record
	settled  map[uint64]bool
	findings []Finding
}

// Replay walks log, the records of a log from index 0 in order, and
// recomputes every contract: consent for each data use, each revenue
// settlement (with its carries), each payment release and IP priority, and
// first-to-file for each registration. It returns the entries it does not
// reproduce, in log order, and also a data use that has no settlement.
func Replay(log []Record) []Finding {
	r := &replayer{log: log, pools: map[string]*Pool{},
		firsts: map[envelope.Digest]uint64{}, uses: map[uint64]Record{},
		settled: map[uint64]bool{}}
	for i, rec := range log {
		if rec.Index != uint64(i) {
			r.find(rec, "at position %d: the log must be replayed from entry 0", i)
			return r.findings
		}
		r.step(i, rec)
	}
	var unsettled []uint64
	for idx := range r.uses {
		if !r.settled[idx] {
			unsettled = append(unsettled, idx)
		}
	}
	slices.Sort(unsettled)
	for _, idx := range unsettled {
		r.find(r.uses[idx], "no revenue settlement in the log")
	}
	return r.findings
}

func (r *replayer) find(rec Record, format string, args ...any) {
	r.findings = append(r.findings,
		Finding{Index: rec.Index, Type: rec.Type(), Problem: fmt.Sprintf(format, args...)})
}

func (r *replayer) step(i int, rec Record) {
	org := rec.Signed.Envelope.Org
	switch b := rec.Body().(type) {
	case *envelope.ConsentGrant:
		if b.Owner != org {
			r.find(rec, "grant of owner %q submitted by %q", b.Owner, org)
			return
		}
		r.grants = append(r.grants, Grant{Index: rec.Index, Body: b})
	case *envelope.ConsentRevocation:
		r.revoke(rec, b)
	case *envelope.DataUse:
		if _, err := CheckConsent(r.grants, org, b, rec.Signed.Envelope.Time); err != nil {
			r.find(rec, "%v", err)
		}
		r.uses[rec.Index] = rec
	case *envelope.RevenueSettlement:
		r.settle(rec, b)
	case *envelope.PaymentRelease:
		r.recompute(rec, func() (*envelope.Envelope, error) {
			return ReleasePayment(r.log[:i], b.ContractID, b.Tranche)
		})
	case *envelope.IPRegistration:
		if first, ok := r.firsts[b.Work]; ok {
			r.find(rec, "work %s was registered first at entry %d", b.Work, first)
			return
		}
		r.firsts[b.Work] = rec.Index
	case *envelope.IPPriority:
		r.recompute(rec, func() (*envelope.Envelope, error) {
			return FirstToFile(r.log[:i], b.Work)
		})
	}
}

func (r *replayer) revoke(rec Record, b *envelope.ConsentRevocation) {
	i := slices.IndexFunc(r.grants, func(g Grant) bool { return g.Index == b.Grant })
	switch {
	case i < 0:
		r.find(rec, "no consent grant at entry %d", b.Grant)
	case r.grants[i].Body.Owner != rec.Signed.Envelope.Org:
		r.find(rec, "%q cannot revoke the grant of %q", rec.Signed.Envelope.Org,
			r.grants[i].Body.Owner)
	case r.grants[i].RevokedBy != 0:
		r.find(rec, "grant at entry %d was revoked already at entry %d", b.Grant,
			r.grants[i].RevokedBy)
	default:
		r.grants[i].RevokedBy = rec.Index
	}
}

// settle recomputes a settlement from the use it refers to and the pool of
// the use's asset, and advances the pool by the recomputed result.
func (r *replayer) settle(rec Record, b *envelope.RevenueSettlement) {
	refs := rec.Signed.Envelope.Refs
	if len(refs) == 0 {
		r.find(rec, "settlement refers to no data use")
		return
	}
	use, ok := r.uses[refs[0].Index]
	switch {
	case !ok:
		r.find(rec, "entry %d is not a data use logged before", refs[0].Index)
		return
	case use.Ref() != refs[0]:
		r.find(rec, "reference to entry %d does not match its digest", refs[0].Index)
		return
	case r.settled[use.Index]:
		r.find(rec, "data use at entry %d was settled already", use.Index)
		return
	}
	asset := use.Body().(*envelope.DataUse).Asset
	pool := r.pools[asset]
	if pool == nil {
		pool = new(Pool)
		r.pools[asset] = pool
	}
	want, carries, err := SettleWith(use, *pool)
	if err == nil {
		r.compare(rec, want)
	} else {
		r.find(rec, "recomputing: %v", err)
	}
	r.settled[use.Index] = true
	ref := rec.Ref()
	pool.Carries, pool.Last = carries, &ref
}

func (r *replayer) recompute(rec Record, f func() (*envelope.Envelope, error)) {
	want, err := f()
	if err != nil {
		r.find(rec, "recomputing: %v", err)
		return
	}
	r.compare(rec, want)
}

// compare reports rec if its envelope is not want. The logged body is
// canonical (Parse checked the whole entry), so bytes compare.
func (r *replayer) compare(rec Record, want *envelope.Envelope) {
	got := &rec.Signed.Envelope
	if got.V == want.V && got.Type == want.Type && got.Org == want.Org &&
		got.Time == want.Time && slices.Equal(got.Refs, want.Refs) &&
		bytes.Equal(got.Body, want.Body) {
		return
	}
	g, err1 := got.Canonical()
	w, err2 := want.Canonical()
	if err1 != nil || err2 != nil {
		r.find(rec, "encoding: %v", errors.Join(err1, err2))
		return
	}
	r.find(rec, "logged %s, recomputed %s", g, w)
}
