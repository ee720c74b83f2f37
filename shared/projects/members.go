package projects

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/xietong/xietong/shared/access"
	"github.com/xietong/xietong/shared/directory"
	"github.com/xietong/xietong/shared/httpapi"
	"github.com/xietong/xietong/shared/plan"
	"github.com/xietong/xietong/shared/tables"
)

var uidRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}:[A-Za-z0-9_.:@-]{1,64}$`)

// memberList renders the members of l with their directory entries as the
// caller may see them (directory.View: no protected mobile number).
func (s *Service) memberList(ctx context.Context, c caller, l *Loaded) ([]Member, error) {
	v := s.viewer(ctx, c)
	out := []Member{}
	for _, m := range l.Plan.Members() {
		out = append(out, s.memberJSON(ctx, v, m, l.MemberVer[m.User]))
	}
	return out, nil
}

func (s *Service) memberJSON(ctx context.Context, v directory.Viewer, m plan.Member,
	ver int64) Member {
	corp, user, _ := strings.Cut(m.User, ":")
	out := Member{UID: m.User, Corp: corp, UserID: user, Name: m.Name, Role: string(m.Role),
		Ver: ver}
	if u, err := s.dir.Lookup(ctx, corp, user); err == nil ||
		errors.Is(err, directory.ErrInactive) {
		pu := directory.View(v, u)
		out.User = &pu
	}
	return out
}

func (s *Service) listMembers(w http.ResponseWriter, r *http.Request, c caller) error {
	l, _, err := s.open(r, c, access.ProjectView)
	if err != nil {
		return err
	}
	ms, err := s.memberList(r.Context(), c, l)
	if err != nil {
		return err
	}
	httpapi.WriteJSON(w, http.StatusOK, map[string]any{"items": ms})
	return nil
}

func (s *Service) addMember(w http.ResponseWriter, r *http.Request, c caller) error {
	var req MemberInput
	if err := httpapi.Decode(r, &req, maxBody); err != nil {
		return err
	}
	l, _, err := s.open(r, c, access.MembersManage)
	if err != nil {
		return err
	}
	ctx := r.Context()
	u, err := s.directoryUser(ctx, "userId", req.Corp, req.UserID)
	if err != nil {
		return err
	}
	m := plan.Member{User: u.UID(), Corp: req.Corp, Name: u.Name, Role: plan.Role(req.Role)}
	return s.idempotent(w, r, c, req, func() (any, error) {
		acts, err := l.Plan.AddMember(s.actor(c), m)
		if err != nil {
			return nil, PlanError(err)
		}
		pr := l.Plan.Project()
		err = s.rosterWrite(ctx, pr.Org.Corp, pr.ID, func() error {
			_, err := s.db.Create(ctx, tables.Member.Name,
				memberKey(pr.Org.Corp, pr.ID, m.User), memberCols(m))
			return err
		})
		if err != nil {
			if errors.Is(err, tables.ErrExists) {
				return nil, httpapi.Err(http.StatusConflict, "exists", "already a member")
			}
			return nil, err
		}
		s.after(ctx, c, l.Plan, acts, nil)
		s.notifyMembers(ctx, c, l.Plan, []plan.Member{m}, "member.added",
			"你已加入项目："+pr.Name, "角色："+string(m.Role), "v1")
		s.syncChat(ctx, pr, "add/"+m.User+"/"+strconv.FormatInt(s.now().UnixNano(), 36),
			"新成员加入："+m.Name, m.Name+" 以 "+string(m.Role)+" 角色加入项目")
		return s.memberJSON(ctx, s.viewer(ctx, c), m, 1), nil
	})
}

// pathMember returns the {uid} of the path and its row version in l.
func pathMember(r *http.Request, l *Loaded) (string, int64, error) {
	uid := r.PathValue("uid")
	if !uidRE.MatchString(uid) {
		return "", 0, httpapi.Invalid(FieldError{Field: "uid", Rule: "a member uid corp:userid"})
	}
	ver, ok := l.MemberVer[uid]
	if !ok {
		return "", 0, httpapi.Err(http.StatusNotFound, "member_not_found", "no such member")
	}
	return uid, ver, nil
}

func (s *Service) setRole(w http.ResponseWriter, r *http.Request, c caller) error {
	var req RoleRequest
	if err := httpapi.Decode(r, &req, maxBody); err != nil {
		return err
	}
	var errs []FieldError
	if checkVer(req.Ver, &errs); errs != nil {
		return httpapi.Invalid(errs...)
	}
	l, _, err := s.open(r, c, access.MembersManage)
	if err != nil {
		return err
	}
	uid, ver, err := pathMember(r, l)
	if err != nil {
		return err
	}
	ctx, v := r.Context(), s.viewer(r.Context(), c)
	if ver != req.Ver {
		return httpapi.Conflict(s.memberJSON(ctx, v, member(l.Plan, uid), ver))
	}
	acts, err := l.Plan.SetRole(s.actor(c), uid, plan.Role(req.Role))
	if err != nil {
		return PlanError(err)
	}
	m := member(l.Plan, uid)
	pr := l.Plan.Project()
	if len(acts) > 0 {
		var nv int64
		err := s.rosterWrite(ctx, pr.Org.Corp, pr.ID, func() (err error) {
			nv, err = s.db.Update(ctx, tables.Member.Name, memberKey(pr.Org.Corp, pr.ID, uid),
				ver, tables.Change{Set: tables.Cols{colRole: string(m.Role)}})
			return err
		})
		if row, ok := tables.Current(err); ok {
			return httpapi.Conflict(s.memberJSON(ctx, v, m, row.Ver()))
		}
		if err != nil {
			return err
		}
		ver = nv
		s.after(ctx, c, l.Plan, acts, nil)
		s.notifyMembers(ctx, c, l.Plan, []plan.Member{m}, "member.role",
			"你在项目中的角色已变更："+pr.Name, "新角色："+string(m.Role),
			"v"+strconv.FormatInt(ver, 10))
	}
	httpapi.WriteJSON(w, http.StatusOK, s.memberJSON(ctx, v, m, ver))
	return nil
}

func member(p *plan.Plan, uid string) plan.Member {
	for _, m := range p.Members() {
		if m.User == uid {
			return m
		}
	}
	return plan.Member{User: uid}
}

func (s *Service) removeMember(w http.ResponseWriter, r *http.Request, c caller) error {
	ver, err := strconv.ParseInt(r.URL.Query().Get("ver"), 10, 64)
	if err != nil || ver < 1 {
		return httpapi.Invalid(FieldError{Field: "ver",
			Rule: "required query parameter: the member's version"})
	}
	l, _, err := s.open(r, c, access.MembersManage)
	if err != nil {
		return err
	}
	uid, cur, err := pathMember(r, l)
	if err != nil {
		return err
	}
	ctx, m := r.Context(), member(l.Plan, uid)
	if cur != ver {
		return httpapi.Conflict(s.memberJSON(ctx, s.viewer(ctx, c), m, cur))
	}
	acts, err := l.Plan.RemoveMember(s.actor(c), uid)
	if err != nil {
		return PlanError(err)
	}
	pr := l.Plan.Project()
	err = s.rosterWrite(ctx, pr.Org.Corp, pr.ID, func() error {
		return s.db.Delete(ctx, tables.Member.Name, memberKey(pr.Org.Corp, pr.ID, uid), ver)
	})
	if row, ok := tables.Current(err); ok {
		return httpapi.Conflict(s.memberJSON(ctx, s.viewer(ctx, c), m, row.Ver()))
	}
	if err != nil {
		return err
	}
	s.after(ctx, c, l.Plan, acts, nil)
	s.notifyMembers(ctx, c, l.Plan, []plan.Member{m}, "member.removed",
		"你已被移出项目："+pr.Name, "", "v"+strconv.FormatInt(ver, 10))
	s.syncChat(ctx, pr, "del/"+uid+"/"+strconv.FormatInt(s.now().UnixNano(), 36),
		"成员离开："+m.Name, m.Name+" 已离开项目")
	w.WriteHeader(http.StatusNoContent)
	return nil
}
