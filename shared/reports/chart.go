package reports

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"io"
	"time"

	gochart "github.com/wcharczuk/go-chart/v2"
	"github.com/wcharczuk/go-chart/v2/drawing"

	"github.com/xietong/xietong/shared/plan"
)

// chart is one rendered chart of a report. Labels inside the image are
// ASCII (ids, dates, numbers): the charting module carries no CJK font, so
// names go into the report's text.
type chart struct {
	Name    string // file name within the report, e.g. "burnup-p1.png"
	Caption string // markdown text of the link
	PNG     []byte // nil when there is no data to draw
}

// Chart sizes in pixels.
const (
	chartWidth  = 800
	chartHeight = 400
)

// BurnUp renders the burn-up chart of p from its start (or its first task's
// creation) to today: the scope (estimated minutes of its active tasks
// without subtasks, in hours) and the work done, by the day each task was
// finished. It returns nil when the plan has no estimated work.
func BurnUp(p *plan.Plan, today plan.Date) ([]byte, error) {
	from, scope, done := burnSeries(p, today)
	if scope == 0 || from == 0 {
		return nil, nil
	}
	var xs []time.Time
	var ys, total []float64
	step := max(1, int(today-from)/60)
	for d := from; d <= today; d += plan.Date(step) {
		xs = append(xs, d.Time())
		ys = append(ys, doneBy(done, d)/60)
		total = append(total, float64(scope)/60)
	}
	if xs[len(xs)-1] != today.Time() {
		xs, ys = append(xs, today.Time()), append(ys, doneBy(done, today)/60)
		total = append(total, float64(scope)/60)
	}
	if len(xs) == 1 {
		xs = append([]time.Time{xs[0].AddDate(0, 0, -1)}, xs...)
		ys, total = append([]float64{0}, ys...), append(total, total[0])
	}
	c := gochart.Chart{Title: "Burn-up " + p.Project().ID + " (hours)", Width: chartWidth,
		Height: chartHeight, XAxis: gochart.XAxis{ValueFormatter: gochart.TimeDateValueFormatter},
		YAxis: gochart.YAxis{Name: "hours",
			Range: &gochart.ContinuousRange{Min: 0, Max: float64(scope) / 60 * 1.15}},
		Background: gochart.Style{Padding: gochart.Box{Top: 50, Left: 20, Right: 20,
			Bottom: 10}},
		Series: []gochart.Series{
			gochart.TimeSeries{Name: "scope", XValues: xs, YValues: total,
				Style: gochart.Style{StrokeColor: drawing.ColorRed, StrokeWidth: 2}},
			gochart.TimeSeries{Name: "done", XValues: xs, YValues: ys,
				Style: gochart.Style{StrokeColor: gochart.ColorBlue, StrokeWidth: 3,
					FillColor: gochart.ColorBlue.WithAlpha(64)}},
		}}
	c.Elements = []gochart.Renderable{gochart.Legend(&c)}
	return render(c.Render)
}

// burnSeries returns the first day of the chart, the scope in minutes and
// the minutes finished per day.
func burnSeries(p *plan.Plan, today plan.Date) (plan.Date, int64, map[plan.Date]int64) {
	from := p.Project().Start
	done := map[plan.Date]int64{}
	var scope int64
	for _, t := range p.Tasks() {
		if t.Status == plan.Cancelled || len(p.Children(t.ID)) > 0 {
			continue
		}
		est := plan.Duration(t)
		scope += est
		if c := plan.DateOf(t.CreatedAt); c != 0 && (from == 0 || c < from) {
			from = c
		}
		if t.Status == plan.Done {
			day := max(plan.DateOf(t.FinishedAt), from)
			done[day] += est
		}
	}
	if from > today {
		from = today
	}
	return from, scope, done
}

func doneBy(done map[plan.Date]int64, d plan.Date) float64 {
	var n int64
	for day, m := range done {
		if day <= d {
			n += m
		}
	}
	return float64(n)
}

// Bars renders a bar chart of labelled values (ASCII labels). It returns
// nil when every value is zero.
func Bars(title string, labels []string, values []float64) ([]byte, error) {
	var bars []gochart.Value
	top := 0.0
	for i, l := range labels {
		bars = append(bars, gochart.Value{Label: l, Value: values[i]})
		top = max(top, values[i])
	}
	if top == 0 {
		return nil, nil
	}
	if len(bars) == 1 {
		bars = append(bars, gochart.Value{Label: " ", Value: 0})
	}
	bc := gochart.BarChart{Title: title, Width: chartWidth, Height: chartHeight,
		BarWidth: max(10, min(80, 600/len(bars))), Bars: bars,
		YAxis: gochart.YAxis{Range: &gochart.ContinuousRange{Min: 0, Max: top * 1.1}},
		Background: gochart.Style{Padding: gochart.Box{Top: 40, Bottom: 30, Left: 10,
			Right: 10}}}
	return render(bc.Render)
}

// collector receives the rendered image (go-chart's RGBACollector), so
// that it is encoded here, favouring speed over a few percent of size.
type collector struct{ img *image.RGBA }

// Write discards the encoded bytes; the collector only keeps the image.
func (c *collector) Write(p []byte) (int, error) { return len(p), nil }

// SetRGBA keeps the rendered image.
func (c *collector) SetRGBA(i *image.RGBA) { c.img = i }

func render(f func(gochart.RendererProvider, io.Writer) error) ([]byte, error) {
	var c collector
	if err := f(gochart.PNG, &c); err != nil {
		return nil, fmt.Errorf("reports: render chart: %w", err)
	}
	if c.img == nil {
		return nil, fmt.Errorf("reports: render chart: no image")
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&buf, c.img); err != nil {
		return nil, fmt.Errorf("reports: encode chart: %w", err)
	}
	return buf.Bytes(), nil
}
