package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/aliyun/aliyun-tablestore-go-sdk/tablestore"

	"github.com/xietong/xietong/shared/tables"
)

// createTables creates the project's tables (shared/tables.All) that the Tablestore
// emulator lacks, through the real SDK, as `make tables` does against a real instance.
func (s *stack) createTables() error {
	start := time.Now()
	client := tablestore.NewClient(s.tablestoreURL, localInstance, s.secrets.AccessKeyID,
		s.secrets.AccessKeySecret)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := tables.Create(ctx, client, tables.All); err != nil {
		return fmt.Errorf("create tables: %w", err)
	}
	fmt.Fprintf(s.cfg.out, "tables %d ready ... %dms\n", len(tables.All),
		time.Since(start).Milliseconds())
	return nil
}
