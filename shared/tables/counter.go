package tables

import (
	"context"
	"fmt"

	"github.com/aliyun/aliyun-tablestore-go-sdk/tablestore"
)

// Increment adds delta to the Integer column col of a row (creating the row
// and counting a missing column as 0) and returns the new value, atomically.
//
// An increment is at least once: when the SDK resends a request that had
// landed, delta is added twice. Use it for sequence numbers and approximate
// counts where a gap is harmless; derive exact totals from rows instead.
//
// TODO(#3): offer a token-guarded exact increment for callers that need one.
func (s *Store) Increment(ctx context.Context, table string, key Key, col string,
	delta int64) (int64, error) {
	t, pk, err := s.table(ctx, "increment", table, key)
	if err != nil {
		return 0, err
	}
	if err := checkColumn(col, true); err != nil {
		return 0, withCause("increment", ref(table, key), ErrInvalid, err.Error())
	}
	uc := &tablestore.UpdateRowChange{TableName: t.Name, PrimaryKey: pk}
	uc.IncrementColumn(col, delta)
	uc.SetCondition(tablestore.RowExistenceExpectation_IGNORE)
	uc.SetReturnIncrementValue()
	uc.AppendIncrementColumnToReturn(col)
	resp, err := s.client.UpdateRow(&tablestore.UpdateRowRequest{UpdateRowChange: uc})
	if err != nil {
		return 0, mapErr("increment", ref(table, key), err)
	}
	for _, c := range resp.Columns {
		if n, ok := c.Value.(int64); ok && c.ColumnName == col {
			return n, nil
		}
	}
	return 0, withCause("increment", ref(table, key), ErrUnavailable,
		fmt.Sprintf("response lacks column %q", col))
}
