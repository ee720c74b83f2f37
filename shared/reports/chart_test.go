package reports

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/xietong/xietong/shared/plan"
)

// decodePNG decodes b as a PNG and checks its size and that it is not
// blank: a drawn chart has axes, lines and labels in several colours.
func decodePNG(t *testing.T, name string, b []byte) image.Image {
	t.Helper()
	img, format, err := image.Decode(bytes.NewReader(b))
	if err != nil || format != "png" {
		t.Fatalf("%s: decode: %v (format %q)", name, err, format)
	}
	if r := img.Bounds(); r.Dx() != chartWidth || r.Dy() != chartHeight {
		t.Errorf("%s: %dx%d, want %dx%d", name, r.Dx(), r.Dy(), chartWidth, chartHeight)
	}
	colours := map[[4]uint32]bool{}
	r := img.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y += 2 {
		for x := r.Min.X; x < r.Max.X; x += 2 {
			c0, c1, c2, c3 := img.At(x, y).RGBA()
			colours[[4]uint32{c0, c1, c2, c3}] = true
		}
	}
	if len(colours) < 8 {
		t.Errorf("%s: %d distinct colours, want at least 8 (a blank frame has 1 or 2)",
			name, len(colours))
	}
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: %d bytes, %d colours sampled, written to %s", name, len(b), len(colours), path)
	return img
}

var _ = png.Decode // registers the PNG decoder

func TestBurnUpOfARealProject(t *testing.T) {
	p := seedPortal(t)
	b, err := BurnUp(p, today)
	if err != nil {
		t.Fatal(err)
	}
	if b == nil {
		t.Fatal("BurnUp = nil for a project with estimated work")
	}
	decodePNG(t, "burnup-p-portal.png", b)
}

func TestBarsOfHoursAndStatus(t *testing.T) {
	b, err := Bars("Hours", []string{"#1", "#2", "#3"}, []float64{2, 1.5, 0.5})
	if err != nil || b == nil {
		t.Fatalf("Bars = %d bytes, %v", len(b), err)
	}
	decodePNG(t, "hours.png", b)
}

func TestChartsWithoutDataAreNotDrawn(t *testing.T) {
	empty := newBuilder(t, plan.Project{ID: "p-empty", Name: "空项目",
		Org: plan.Organization{Corp: uni}, Start: day(11, 1)}, appsLead).p
	tests := []struct {
		name string
		draw func() ([]byte, error)
	}{
		{"burn-up without tasks", func() ([]byte, error) { return BurnUp(empty, today) }},
		{"bars of zeros", func() ([]byte, error) {
			return Bars("Hours", []string{"#1"}, []float64{0})
		}},
		{"bars of nothing", func() ([]byte, error) { return Bars("Hours", nil, nil) }},
	}
	for _, tt := range tests {
		b, err := tt.draw()
		if err != nil || b != nil {
			t.Errorf("%s: %d bytes, %v; want nil, nil", tt.name, len(b), err)
		}
	}
}
