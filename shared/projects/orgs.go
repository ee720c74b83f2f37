package projects

import (
	"net/http"

	"github.com/xietong/xietong/shared/access"
	"github.com/xietong/xietong/shared/httpapi"
)

func (s *Service) getOrg(w http.ResponseWriter, r *http.Request, c caller) error {
	corp := r.PathValue("corp")
	if !corpRE.MatchString(corp) {
		return httpapi.Invalid(FieldError{Field: "corp",
			Rule: "a corp id, 1-64 of A-Z a-z 0-9 _ . -"})
	}
	if !access.Can(c.Subject, access.OrgView, access.Resource{OwnerCorp: corp}) {
		return httpapi.Forbidden("see another organization")
	}
	org, err := s.dir.Org(r.Context(), corp)
	if err != nil {
		return err
	}
	httpapi.WriteJSON(w, http.StatusOK, OrgResponse{CorpID: corp, Name: org.Name,
		Role: string(c.OrgRole), Departments: deptIDs(c.user.DeptIDs),
		LeaderOf: deptIDs(c.user.LeaderOf)})
	return nil
}
