package tables

import (
	"bytes"
	"strings"
	"testing"
)

func TestTerraform(t *testing.T) {
	out := string(Terraform("xietong", All))
	if !strings.HasPrefix(out, TerraformHeader) {
		t.Errorf("Terraform output lacks the generated-file header")
	}
	for _, want := range []string{
		`resource "alicloud_ots_instance" "main" {`,
		`resource "alicloud_ots_table" "task" {`,
		"  time_to_live  = 604800\n", // idem
		`resource "alicloud_ots_secondary_index" "member_by_user" {`,
		`  primary_keys      = ["uidh"]`,
		"# Not managed here: its key (tid String, seq Integer auto-increment)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("Terraform output lacks %q", want)
		}
	}
	if strings.Contains(out, `"alicloud_ots_table" "activity"`) {
		t.Errorf("Terraform declares activity, whose auto-increment key it cannot express")
	}
	if n, want := strings.Count(out, `resource "alicloud_ots_table"`), len(All)-1; n != want {
		t.Errorf("Terraform declares %d tables, want %d", n, want)
	}
	if !bytes.Equal(Terraform("xietong", All), Terraform("xietong", All)) {
		t.Errorf("Terraform output is not deterministic")
	}
}
