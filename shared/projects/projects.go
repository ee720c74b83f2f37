package projects

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/xietong/xietong/shared/access"
	"github.com/xietong/xietong/shared/directory"
	"github.com/xietong/xietong/shared/httpapi"
	"github.com/xietong/xietong/shared/plan"
	"github.com/xietong/xietong/shared/tables"
)

// List limits.
const (
	defaultLimit = 50
	maxLimit     = 200
)

func (s *Service) actor(c caller) plan.Actor { return plan.Actor{User: c.uid, At: s.now()} }

// pathProject validates the {corp} and {id} of the path.
func pathProject(r *http.Request) (string, string, error) {
	corp, id := r.PathValue("corp"), r.PathValue("id")
	var errs []FieldError
	if !corpRE.MatchString(corp) {
		errs = append(errs, FieldError{Field: "corp", Rule: "a corp id, 1-64 of A-Z a-z 0-9 _ . -"})
	}
	if !idRE.MatchString(id) {
		errs = append(errs, FieldError{Field: "id", Rule: "a project id, 1-64 of A-Z a-z 0-9 _ -"})
	}
	if errs != nil {
		return "", "", httpapi.Invalid(errs...)
	}
	return corp, id, nil
}

// authorize checks that the caller may do a to project corp/id, before
// anything about the project is revealed, and returns the caller's role.
func (s *Service) authorize(ctx context.Context, c caller, a access.Action, corp,
	id string) (access.ProjectRole, error) {
	role, err := s.store.Role(ctx, corp, id, c.uid)
	if err != nil {
		return role, err
	}
	if !access.Can(c.Subject, a, access.Resource{OwnerCorp: corp, ProjectRole: role}) {
		return role, httpapi.Forbidden(string(a) + " on this project")
	}
	return role, nil
}

// open authorizes a on the project of the path and loads it.
func (s *Service) open(r *http.Request, c caller, a access.Action) (*Loaded, string, error) {
	corp, id, err := pathProject(r)
	if err != nil {
		return nil, "", err
	}
	role, err := s.authorize(r.Context(), c, a, corp, id)
	if err != nil {
		return nil, "", err
	}
	l, err := s.store.Load(r.Context(), corp, id)
	if errors.Is(err, tables.ErrNotFound) {
		return nil, "", httpapi.Err(http.StatusNotFound, "project_not_found", "no such project")
	}
	return l, string(role), err
}

func (s *Service) create(w http.ResponseWriter, r *http.Request, c caller) error {
	var req CreateRequest
	if err := httpapi.Decode(r, &req, maxBody); err != nil {
		return err
	}
	if !access.Can(c.Subject, access.ProjectCreate, access.Resource{OwnerCorp: c.Corp}) {
		return httpapi.Forbidden("create projects")
	}
	pr, errs := projectOf(req)
	if errs != nil {
		return httpapi.Invalid(errs...)
	}
	ctx := r.Context()
	if err := s.checkProjectRefs(ctx, c.Corp, pr.Department, pr.Owner); err != nil {
		return err
	}
	members, err := s.resolveMembers(ctx, req.Members)
	if err != nil {
		return err
	}
	return s.idempotent(w, r, c, req, func() (any, error) {
		return s.insert(ctx, c, pr, members)
	})
}

// projectOf checks the shape of a create request; the domain checks the
// rest.
func projectOf(req CreateRequest) (plan.Project, []FieldError) {
	var errs []FieldError
	pr := plan.Project{Name: req.Name, Department: req.Department, Owner: req.Owner,
		Year: req.Year, Budget: req.Budget, Risk: plan.Risk(req.Risk),
		Status: plan.ProjectStatus(req.Status)}
	pr.Start = parseDate("start", req.Start, &errs)
	pr.End = parseDate("end", req.End, &errs)
	if pr.Status == plan.ProjectArchived {
		errs = append(errs, FieldError{Field: "status", Rule: "a new project cannot be archived"})
	}
	for i, o := range req.Partners {
		if !corpRE.MatchString(o.Corp) {
			errs = append(errs, FieldError{Field: "partners[" + strconv.Itoa(i) + "].corp",
				Rule: "a corp id, 1-64 of A-Z a-z 0-9 _ . -"})
		}
		pr.Partners = append(pr.Partners, plan.Organization{Corp: o.Corp, Name: o.Name})
	}
	return pr, errs
}

// checkProjectRefs checks that department is an active department and
// owner an active user of corp.
func (s *Service) checkProjectRefs(ctx context.Context, corp, department, owner string) error {
	if department != "" {
		n, err := strconv.ParseInt(department, 10, 64)
		if err != nil {
			return httpapi.Invalid(FieldError{Field: "department",
				Rule: "a department id (a number)"})
		}
		d, err := s.dir.Dept(ctx, corp, n)
		if errors.Is(err, directory.ErrNotFound) || err == nil && !d.Active {
			return httpapi.Invalid(FieldError{Field: "department",
				Rule: "not a department of the organization"})
		}
		if err != nil {
			return err
		}
	}
	if owner != "" {
		oc, ou, ok := strings.Cut(owner, ":")
		if !ok || oc != corp {
			return httpapi.Invalid(FieldError{Field: "owner",
				Rule: "a uid corp:userid of the organization"})
		}
		if _, err := s.directoryUser(ctx, "owner", oc, ou); err != nil {
			return err
		}
	}
	return nil
}

// directoryUser looks up an active user named by input field.
func (s *Service) directoryUser(ctx context.Context, field, corp,
	user string) (directory.User, error) {
	if !corpRE.MatchString(corp) || user == "" || len(user) > 64 {
		return directory.User{}, httpapi.Invalid(FieldError{Field: field,
			Rule: "a corp and a userid"})
	}
	u, err := s.dir.Lookup(ctx, corp, user)
	switch {
	case errors.Is(err, directory.ErrInactive):
		return u, httpapi.Invalid(FieldError{Field: field,
			Rule: "the user has left the organization"})
	case errors.Is(err, directory.ErrNotFound):
		return u, httpapi.Invalid(FieldError{Field: field,
			Rule: "not in the organization's directory"})
	}
	return u, err
}

func (s *Service) resolveMembers(ctx context.Context, in []MemberInput) ([]plan.Member, error) {
	out := make([]plan.Member, 0, len(in))
	for i, m := range in {
		field := "members[" + strconv.Itoa(i) + "]"
		u, err := s.directoryUser(ctx, field+".userId", m.Corp, m.UserID)
		if err != nil {
			return nil, err
		}
		out = append(out, plan.Member{User: u.UID(), Corp: m.Corp, Name: u.Name,
			Role: plan.Role(m.Role)})
	}
	return out, nil
}

// insert creates the project: the domain checks everything first, then the
// project row, the member rows, the summary, the trail and the notices are
// written.
func (s *Service) insert(ctx context.Context, c caller, pr plan.Project,
	members []plan.Member) (*ProjectDetail, error) {
	org, err := s.dir.Org(ctx, c.Corp)
	if err != nil {
		return nil, err
	}
	pr.ID, pr.Org = s.newProjectID(), plan.Organization{Corp: c.Corp, Name: org.Name}
	if pr.Owner == "" {
		pr.Owner = c.uid
	}
	a := s.actor(c)
	lead := plan.Member{User: c.uid, Corp: c.Corp, Name: c.user.Name, Role: plan.RoleLead}
	p, acts, err := plan.New(a, pr, lead)
	if err != nil {
		return nil, PlanError(err)
	}
	for i, m := range members {
		more, err := p.AddMember(a, m)
		if err != nil {
			return nil, PlanError(fieldPrefix(err, "members["+strconv.Itoa(i)+"]."))
		}
		acts = append(acts, more...)
	}
	now := a.At.UTC().Truncate(1e6)
	rec := Record{Project: p.Project(), CreatedBy: c.uid, CreatedAt: now, UpdatedAt: now, Ver: 1}
	cols := projectCols(rec)
	cols[colRosterGen] = int64(1) // no roster until the member rows are written
	if _, err := s.db.Create(ctx, tables.Project.Name, projectKey(c.Corp, pr.ID),
		cols); err != nil {
		return nil, err
	}
	var writes []tables.Write
	for _, m := range p.Members() {
		writes = append(writes, tables.Write{Op: tables.OpCreate, Table: tables.Member.Name,
			Key: memberKey(c.Corp, pr.ID, m.User), Cols: memberCols(m)})
	}
	// TODO(#6): a failure here leaves a project row without members; the
	// Idempotency-Key is released, so a retry creates another project.
	_, err = s.db.BatchWrite(ctx, writes)
	s.rebuildRoster(ctx, c.Corp, pr.ID)
	if err != nil {
		return nil, err
	}
	sum := p.Summary(s.today())
	rec.Summary, rec.SummaryOn = &sum, s.today()
	s.after(ctx, c, p, acts, s.store.WriteSummary(ctx, c.Corp, pr.ID, sum, s.today()))
	s.notifyMembers(ctx, c, p, others(p.Members(), c.uid), "project.created",
		"你已加入项目："+pr.Name, "由 "+c.user.Name+" 创建", "v1")
	s.syncChat(ctx, p.Project(), "created", "项目已创建："+pr.Name,
		"由 "+c.user.Name+" 创建")
	return s.detail(ctx, c, &Loaded{Plan: p, Record: rec, MemberVer: onesFor(p.Members())},
		string(access.Lead))
}

// fieldPrefix qualifies the field of a domain error with prefix.
func fieldPrefix(err error, prefix string) error {
	var pe *plan.Error
	if errors.As(err, &pe) && pe.Field != "" {
		cp := *pe
		cp.Field = prefix + pe.Field
		return &cp
	}
	return err
}

func onesFor(ms []plan.Member) map[string]int64 {
	v := map[string]int64{}
	for _, m := range ms {
		v[m.User] = 1
	}
	return v
}

func others(ms []plan.Member, uid string) []plan.Member {
	return slices.DeleteFunc(slices.Clone(ms), func(m plan.Member) bool { return m.User == uid })
}

// detail renders a loaded project for caller c.
func (s *Service) detail(ctx context.Context, c caller, l *Loaded,
	role string) (*ProjectDetail, error) {
	d := &ProjectDetail{Project: projectJSON(l.Record, role)}
	members, err := s.memberList(ctx, c, l)
	if err != nil {
		return nil, err
	}
	d.Members = members
	d.Milestones = milestoneList(l.Plan)
	return d, nil
}

func milestoneList(p *plan.Plan) []Milestone {
	roll := p.Rollup()
	out := []Milestone{}
	for _, m := range p.Milestones() {
		out = append(out, milestoneJSON(m, roll.Milestones[m.ID]))
	}
	return out
}

func (s *Service) get(w http.ResponseWriter, r *http.Request, c caller) error {
	l, role, err := s.open(r, c, access.ProjectView)
	if err != nil {
		return err
	}
	d, err := s.detail(r.Context(), c, l, role)
	if err != nil {
		return err
	}
	httpapi.WriteJSON(w, http.StatusOK, d)
	return nil
}

func (s *Service) update(w http.ResponseWriter, r *http.Request, c caller) error {
	var req UpdateRequest
	if err := httpapi.Decode(r, &req, maxBody); err != nil {
		return err
	}
	edit, errs := editOf(req)
	if errs != nil {
		return httpapi.Invalid(errs...)
	}
	if edit.Status != nil && *edit.Status == plan.ProjectArchived {
		return httpapi.Invalid(FieldError{Field: "status", Rule: "archive with POST .../archive"})
	}
	return s.change(w, r, c, access.ProjectUpdate, req.Ver, edit)
}

func editOf(req UpdateRequest) (plan.ProjectEdit, []FieldError) {
	var errs []FieldError
	checkVer(req.Ver, &errs)
	e := plan.ProjectEdit{Name: req.Name, Department: req.Department, Owner: req.Owner,
		Year: req.Year, Budget: req.Budget}
	if req.Risk != nil {
		v := plan.Risk(*req.Risk)
		e.Risk = &v
	}
	if req.Status != nil {
		v := plan.ProjectStatus(*req.Status)
		e.Status = &v
	}
	if req.Start != nil {
		v := parseDate("start", *req.Start, &errs)
		e.Start = &v
	}
	if req.End != nil {
		v := parseDate("end", *req.End, &errs)
		e.End = &v
	}
	return e, errs
}

func (s *Service) archive(w http.ResponseWriter, r *http.Request, c caller) error {
	var req VersionRequest
	if err := httpapi.Decode(r, &req, maxBody); err != nil {
		return err
	}
	var errs []FieldError
	if checkVer(req.Ver, &errs); errs != nil {
		return httpapi.Invalid(errs...)
	}
	st := plan.ProjectArchived
	return s.change(w, r, c, access.ProjectArchive, req.Ver, plan.ProjectEdit{Status: &st})
}

// change applies edit to the project of the path at version ver.
func (s *Service) change(w http.ResponseWriter, r *http.Request, c caller, a access.Action,
	ver int64, edit plan.ProjectEdit) error {
	l, role, err := s.open(r, c, a)
	if err != nil {
		return err
	}
	ctx, pr := r.Context(), l.Record.Project
	if l.Record.Ver != ver {
		return httpapi.Conflict(projectJSON(l.Record, role))
	}
	if err := s.checkEditRefs(ctx, pr.Org.Corp, edit); err != nil {
		return err
	}
	acts, err := l.Plan.UpdateProject(s.actor(c), edit)
	if err != nil {
		return PlanError(err)
	}
	if len(acts) > 0 {
		if err := s.saveProject(ctx, l, role); err != nil {
			return err
		}
		sum := l.Summary(s.today())
		l.Record.Summary, l.Record.SummaryOn = &sum, s.today()
		s.after(ctx, c, l.Plan, acts, s.store.WriteSummary(ctx, pr.Org.Corp, pr.ID, sum,
			s.today()))
	}
	httpapi.WriteJSON(w, http.StatusOK, projectJSON(l.Record, role))
	return nil
}

func (s *Service) checkEditRefs(ctx context.Context, corp string, e plan.ProjectEdit) error {
	dept, owner := "", ""
	if e.Department != nil {
		dept = *e.Department
	}
	if e.Owner != nil {
		owner = *e.Owner
	}
	return s.checkProjectRefs(ctx, corp, dept, owner)
}

// saveProject writes the plan's project fields at the loaded version; a lost
// race answers 409 with the project as it now stands.
func (s *Service) saveProject(ctx context.Context, l *Loaded, role string) error {
	pr := l.Plan.Project()
	next := l.Record
	next.Project, next.UpdatedAt = pr, s.now().UTC().Truncate(1e6)
	ver, err := s.db.Update(ctx, tables.Project.Name, projectKey(pr.Org.Corp, pr.ID),
		l.Record.Ver, tables.Change{Set: projectCols(next)})
	if row, ok := tables.Current(err); ok {
		if cur, rerr := recordFrom(row); rerr == nil {
			return httpapi.Conflict(projectJSON(cur, role))
		}
	}
	if err != nil {
		return err
	}
	next.Ver = ver
	l.Record = next
	return nil
}

func (s *Service) addPartner(w http.ResponseWriter, r *http.Request, c caller) error {
	var req PartnerRequest
	if err := httpapi.Decode(r, &req, maxBody); err != nil {
		return err
	}
	var errs []FieldError
	checkVer(req.Ver, &errs)
	if !corpRE.MatchString(req.Corp) {
		errs = append(errs, FieldError{Field: "corp", Rule: "a corp id, 1-64 of A-Z a-z 0-9 _ . -"})
	}
	if errs != nil {
		return httpapi.Invalid(errs...)
	}
	l, role, err := s.open(r, c, access.MembersManage)
	if err != nil {
		return err
	}
	if l.Record.Ver != req.Ver {
		return httpapi.Conflict(projectJSON(l.Record, role))
	}
	acts, err := l.Plan.AddPartner(s.actor(c), plan.Organization{Corp: req.Corp, Name: req.Name})
	if err != nil {
		return PlanError(err)
	}
	if err := s.saveProject(r.Context(), l, role); err != nil {
		return err
	}
	s.after(r.Context(), c, l.Plan, acts, nil)
	httpapi.WriteJSON(w, http.StatusOK, projectJSON(l.Record, role))
	return nil
}

// listFilter holds the filters of GET /api/projects.
type listFilter struct {
	status, department, owner []string
	year                      []string
}

func (f listFilter) match(p plan.Project) bool {
	ok := func(vals []string, v string) bool { return len(vals) == 0 || slices.Contains(vals, v) }
	return ok(f.status, string(p.Status)) && ok(f.department, p.Department) &&
		ok(f.owner, p.Owner) && ok(f.year, strconv.Itoa(p.Year))
}

func splitParam(q []string) []string {
	var out []string
	for _, v := range q {
		for _, part := range strings.Split(v, ",") {
			if part = strings.TrimSpace(part); part != "" {
				out = append(out, part)
			}
		}
	}
	return out
}

func (s *Service) list(w http.ResponseWriter, r *http.Request, c caller) error {
	q := r.URL.Query()
	f := listFilter{status: splitParam(q["status"]), department: splitParam(q["department"]),
		owner: splitParam(q["owner"]), year: splitParam(q["year"])}
	limit, after, err := pageParams(q.Get("limit"), q.Get("cursor"))
	if err != nil {
		return err
	}
	recs, roles, err := s.visible(r.Context(), c)
	if err != nil {
		return err
	}
	out := ProjectList{Items: []Project{}}
	for _, rec := range recs {
		ref := rec.Project.Org.Corp + "/" + rec.Project.ID
		if ref <= after || !f.match(rec.Project) {
			continue
		}
		if len(out.Items) == limit {
			out.Next = cursorOf(out.Items[limit-1])
			break
		}
		out.Items = append(out.Items, projectJSON(rec, string(roles[ref])))
	}
	httpapi.WriteJSON(w, http.StatusOK, out)
	return nil
}

func cursorOf(p Project) string {
	return base64.RawURLEncoding.EncodeToString([]byte(p.Corp + "/" + p.ID))
}

func pageParams(limit, cursor string) (int, string, error) {
	n := defaultLimit
	if limit != "" {
		v, err := strconv.Atoi(limit)
		if err != nil || v < 1 || v > maxLimit {
			return 0, "", httpapi.Invalid(FieldError{Field: "limit",
				Rule: "a number 1.." + strconv.Itoa(maxLimit)})
		}
		n = v
	}
	after, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return 0, "", httpapi.Invalid(FieldError{Field: "cursor",
			Rule: "not a cursor this API returned"})
	}
	return n, string(after), nil
}

// visible returns the projects the caller may see, ordered by corp and id:
// those they are a member of in any organization, and for an executive
// every project of their organization. roles holds the caller's role by
// "corp/id".
//
// TODO(#6): an executive's list reads every project row of the organization
// per page; resume the range scan at the cursor instead.
func (s *Service) visible(ctx context.Context, c caller) ([]Record, map[string]access.ProjectRole,
	error) {
	ms, err := s.store.Memberships(ctx, c.uid)
	if err != nil {
		return nil, nil, err
	}
	roles := map[string]access.ProjectRole{}
	for _, m := range ms {
		roles[m.Corp+"/"+m.Project] = m.Role
	}
	recs, err := s.store.Records(ctx, ms)
	if err != nil {
		return nil, nil, err
	}
	if access.Can(c.Subject, access.ProjectView, access.Resource{OwnerCorp: c.Corp}) {
		own, err := s.store.Projects(ctx, c.Corp)
		if err != nil {
			return nil, nil, err
		}
		recs = append(recs, own...)
	}
	slices.SortFunc(recs, func(a, b Record) int {
		return strings.Compare(a.Project.Org.Corp+"/"+a.Project.ID,
			b.Project.Org.Corp+"/"+b.Project.ID)
	})
	recs = slices.CompactFunc(recs, func(a, b Record) bool {
		return a.Project.Org.Corp == b.Project.Org.Corp && a.Project.ID == b.Project.ID
	})
	return recs, roles, nil
}
