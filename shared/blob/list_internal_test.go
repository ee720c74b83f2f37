package blob

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/xietong/xietong/localdev/ossemu/ossemutest"
)

func TestListPages(t *testing.T) {
	env := ossemutest.Start(t)
	s, err := New(Config{Endpoint: env.Endpoint, Bucket: env.Bucket, Region: env.Region,
		AccessKeyID: env.AccessKeyID, AccessKeySecret: env.AccessKeySecret})
	if err != nil {
		t.Fatal(err)
	}
	defer func(n int) { listPageSize = n }(listPageSize)
	listPageSize = 2
	ctx := context.Background()
	var want []string
	for i := range 7 {
		k := fmt.Sprintf("p/%02d", i)
		want = append(want, k)
		if err := s.Put(ctx, k, strings.NewReader(k), PutOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	for info, err := range s.List(ctx, "p/") {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, info.Key)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("List over pages of 2 = %v, want %v", got, want)
	}
	got = got[:0]
	for info := range s.List(ctx, "p/") {
		if got = append(got, info.Key); len(got) == 3 {
			break
		}
	}
	if len(got) != 3 {
		t.Errorf("List stopped early yielded %d keys, want 3", len(got))
	}
}
