package main

import (
	"bytes"
	"os"
	"testing"

	"github.com/xietong/xietong/shared/tables"
)

func TestTerraformIsFresh(t *testing.T) {
	got, err := os.ReadFile("../tablestore.tf")
	if err != nil {
		t.Fatalf("read infra/tablestore.tf: %v; run `go run ./infra/tables terraform`", err)
	}
	want := tables.Terraform("xietong", tables.All)
	if !bytes.Equal(got, want) {
		t.Errorf("infra/tablestore.tf is stale; run `go run ./infra/tables terraform`")
	}
}
