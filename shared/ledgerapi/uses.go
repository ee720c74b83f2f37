package ledgerapi

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"sync"

	"github.com/xietong/xietong/shared/httpapi"
	"github.com/xietong/xietong/shared/session"
	"github.com/xietong/xietong/shared/tables"
)

// Page sizes of GET /api/ledger/uses.
const (
	defaultUsesPage = 50
	maxUsesPage     = 500
)

var cursorRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[0-9]{20}$`) })

// Use is one use of an owner's data asset, as GET /api/ledger/uses lists it.
type Use struct {
	Index      uint64 `json:"index"`
	UseID      string `json:"useId"`
	Asset      string `json:"asset"`
	Consumer   string `json:"consumer"`
	Purpose    string `json:"purpose"`
	AmountFen  int64  `json:"amountFen"`
	AtMS       int64  `json:"atMs"`
	Grant      uint64 `json:"grant"`
	Settlement uint64 `json:"settlement"`
	Org        string `json:"org"`
}

// UsesPage is the answer of GET /api/ledger/uses; Next, when set, is the
// cursor of the following page.
type UsesPage struct {
	Owner string `json:"owner"`
	Uses  []Use  `json:"uses"`
	Next  string `json:"next,omitempty"`
}

// uses lists, in log order, every use of the data of the caller's
// organization (Authorization: Bearer session), a page at a time.
func (s *Service) uses(w http.ResponseWriter, r *http.Request) error {
	if s.sessions == nil {
		return fail(http.StatusForbidden, "sessions_disabled", "sign in is not configured here")
	}
	claims, err := s.sessions.Authenticate(r)
	if err != nil {
		code := "unauthenticated"
		if errors.Is(err, session.ErrExpired) {
			code = "session_expired"
		}
		return fail(http.StatusUnauthorized, code, "%v", err)
	}
	q := r.URL.Query()
	if o := q.Get("owner"); o != "" && o != claims.Corp {
		return fail(http.StatusForbidden, "forbidden",
			"a member of %q cannot list the uses of the data of %q", claims.Corp, o)
	}
	limit, err := pageLimit(q.Get("limit"))
	if err != nil {
		return err
	}
	cursor := q.Get("cursor")
	if cursor != "" && !cursorRE().MatchString(cursor) {
		return fail(http.StatusBadRequest, "bad_parameter", "cursor %q: want a next value", cursor)
	}

	tid := tables.TenantKey(claims.Corp)
	rg := tables.Range{Prefix: tables.Key{tid, kindUse}, Limit: limit}
	if cursor != "" {
		rg.Start = tables.Key{tid, kindUse, cursor}
	}
	rows, next, err := s.db.Page(r.Context(), tables.LedgerIndex.Name, rg)
	if err != nil {
		return err
	}
	page := UsesPage{Owner: claims.Corp, Uses: make([]Use, 0, len(rows))}
	for _, row := range rows {
		page.Uses = append(page.Uses, useOf(row))
	}
	if len(next) == 3 {
		page.Next = fmt.Sprint(next[2])
	}
	httpapi.WriteJSON(w, http.StatusOK, page)
	return nil
}

func pageLimit(v string) (int, error) {
	if v == "" {
		return defaultUsesPage, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > maxUsesPage {
		return 0, fail(http.StatusBadRequest, "bad_parameter", "limit %q: want 1-%d", v,
			maxUsesPage)
	}
	return n, nil
}

func useOf(row *tables.Row) Use {
	return Use{Index: uint64(row.Int("index")), UseID: row.String("use_id"),
		Asset: row.String("asset"), Consumer: row.String("consumer"),
		Purpose: row.String("purpose"), AmountFen: row.Int("amount_fen"),
		AtMS: row.Int("at_ms"), Grant: uint64(row.Int("grant")),
		Settlement: uint64(row.Int("settlement")), Org: row.String("org")}
}
