// Command tables creates, verifies and renders xietong's Tablestore tables,
// all from the declarations in shared/tables:
//
//	go run ./infra/tables apply      # create missing tables, verify the rest
//	go run ./infra/tables verify     # report drift, change nothing
//	go run ./infra/tables terraform  # regenerate infra/tablestore.tf
//
// apply and verify read TABLESTORE_ENDPOINT, TABLESTORE_INSTANCE and
// ALIBABA_CLOUD_ACCESS_KEY_ID/SECRET (and ALIBABA_CLOUD_SECURITY_TOKEN).
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/xietong/xietong/shared/tables"
)

// tfPath is where `terraform` writes, relative to the repository root.
const tfPath = "infra/tablestore.tf"

func main() {
	if err := run(context.Background(), os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("usage: tables apply|verify|terraform")
	}
	if args[0] == "terraform" {
		return os.WriteFile(tfPath, tables.Terraform("xietong", tables.All), 0o644)
	}
	cfg, err := tables.ConfigFromEnv(os.Getenv)
	if err != nil {
		return err
	}
	client := tables.NewClient(cfg)
	switch args[0] {
	case "apply":
		fmt.Fprintf(os.Stderr, "tables: applying %d tables to %s\n", len(tables.All), cfg.Instance)
		err = tables.Apply(ctx, client, tables.All)
	case "verify":
		err = tables.Verify(ctx, client, tables.All)
	default:
		return fmt.Errorf("tables: unknown command %q (want apply, verify or terraform)", args[0])
	}
	if err == nil {
		fmt.Fprintf(os.Stderr, "tables: %d tables match the declarations\n", len(tables.All))
	}
	return err
}
