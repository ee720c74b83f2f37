package projects

import (
	"net/http"

	"github.com/xietong/xietong/shared/access"
)

func (s *Service) getOrg(w http.ResponseWriter, r *http.Request, c caller) error {
	corp := r.PathValue("corp")
	if !corpRE.MatchString(corp) {
		return invalid([]FieldError{{"corp", "a corp id, 1-64 of A-Z a-z 0-9 _ . -"}})
	}
	if !access.Can(c.Subject, access.OrgView, access.Resource{OwnerCorp: corp}) {
		return forbidden("see another organization")
	}
	org, err := s.dir.Org(r.Context(), corp)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, OrgResponse{CorpID: corp, Name: org.Name,
		Role: string(c.OrgRole), Departments: deptIDs(c.user.DeptIDs),
		LeaderOf: deptIDs(c.user.LeaderOf)})
	return nil
}
