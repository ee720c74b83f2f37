package reports

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/xietong/xietong/shared/plan"
	"github.com/xietong/xietong/shared/tables"
)

// EvaluationKind is the ledger index kind of supplier evaluations: rows
// {tid of the evaluating organization, kind, "<supplier corp>/<20-digit
// entry index>"} with the columns supplier, score, contract_id, index,
// at_ms and evaluator_corp.
const EvaluationKind = "supplier.evaluation"

// evaluation is one supplier evaluation recorded in the ledger.
type evaluation struct {
	SupplierCorp string
	Supplier     string // name as evaluated
	Score        int64
	Contract     string
	Index        int64 // ledger entry index
	Day          plan.Date
}

// evaluations reads corp's supplier evaluations from the ledger index.
func (l *loader) evaluations(ctx context.Context, corp string) ([]evaluation, error) {
	var out []evaluation
	rg := tables.Range{Prefix: tables.Key{tables.TenantKey(corp), EvaluationKind}}
	err := l.scan(ctx, tables.LedgerIndex.Name, rg, func(r *tables.Row) error {
		sc, _, _ := strings.Cut(keyPart(r.Key, 2), "/")
		out = append(out, evaluation{SupplierCorp: sc,
			Supplier: cmp.Or(r.String("supplier"), sc), Score: r.Int("score"),
			Contract: r.String("contract_id"), Index: r.Int("index"),
			Day: plan.DateOf(fromMS(r.Int("at_ms")))})
		return nil
	})
	return out, err
}

// supplierScore is one supplier's evaluations in a month.
type supplierScore struct {
	Corp, Name string
	Count      int
	Sum, Min   int64
	Indexes    []int64 // ledger entries, ascending
}

// average is the mean score, rounded to one decimal in text.
func (s supplierScore) average() float64 { return float64(s.Sum) / float64(s.Count) }

// supplierScores groups the evaluations dated from first to last by
// supplier, ordered by supplier corp.
func supplierScores(evs []evaluation, first, last plan.Date) []supplierScore {
	by := map[string]*supplierScore{}
	for _, e := range evs {
		if e.Day < first || e.Day > last {
			continue
		}
		s := by[e.SupplierCorp]
		if s == nil {
			s = &supplierScore{Corp: e.SupplierCorp, Name: e.Supplier, Min: e.Score}
			by[e.SupplierCorp] = s
		}
		s.Count++
		s.Sum += e.Score
		s.Min = min(s.Min, e.Score)
		s.Indexes = append(s.Indexes, e.Index)
	}
	out := make([]supplierScore, 0, len(by))
	for _, s := range by {
		slices.Sort(s.Indexes)
		out = append(out, *s)
	}
	slices.SortFunc(out, func(a, b supplierScore) int { return cmp.Compare(a.Corp, b.Corp) })
	return out
}

// supplierLines writes the supplier performance of the month into d: per
// supplier the evaluations, average and lowest score, and links to the
// ledger entries behind them so that a reader can verify each one.
func (c *composer) supplierLines(d *draft) {
	first, last := monthSpan(c.period)
	scores := supplierScores(c.org.Evaluations, first, last)
	var total int64
	for _, s := range scores {
		total += int64(s.Count)
	}
	d.figure("supplier_evaluations", total)
	d.figure("suppliers_evaluated", int64(len(scores)))
	if len(scores) == 0 {
		d.line("供应商评价：本月无记录")
		return
	}
	d.line("**供应商评价**（账本记录）")
	for _, s := range scores {
		links := make([]string, len(s.Indexes))
		for i, n := range s.Indexes {
			links[i] = fmt.Sprintf("[#%d](%s/ledger/entries/%d)", n, c.appURL, n)
		}
		d.line("- %s：评价 %d 次，平均 %.1f 分，最低 %d 分；条目 %s",
			s.Name, s.Count, s.average(), s.Min, strings.Join(links, " "))
	}
}
