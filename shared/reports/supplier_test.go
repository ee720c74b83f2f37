package reports

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSupplierScores(t *testing.T) {
	first, last := monthSpan("2026-11")
	evs := []evaluation{
		{SupplierCorp: "b", Supplier: "乙", Score: 80, Index: 30, Day: day(11, 30)},
		{SupplierCorp: "a", Supplier: "甲", Score: 60, Index: 9, Day: day(11, 1)},
		{SupplierCorp: "b", Supplier: "乙", Score: 50, Index: 4, Day: day(11, 2)},
		{SupplierCorp: "a", Supplier: "甲", Score: 10, Index: 2, Day: day(10, 31)},
		{SupplierCorp: "c", Supplier: "丙", Score: 99, Index: 40, Day: day(12, 1)},
	}
	tests := []struct {
		name string
		evs  []evaluation
		want []supplierScore
	}{
		{"none", nil, []supplierScore{}},
		{"month", evs, []supplierScore{
			{Corp: "a", Name: "甲", Count: 1, Sum: 60, Min: 60, Indexes: []int64{9}},
			{Corp: "b", Name: "乙", Count: 2, Sum: 130, Min: 50, Indexes: []int64{4, 30}},
		}},
	}
	for _, tt := range tests {
		got := supplierScores(tt.evs, first, last)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("supplierScores(%s) (-want +got):\n%s", tt.name, diff)
		}
	}
}
