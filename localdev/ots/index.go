package ots

import (
	bolt "go.etcd.io/bbolt"
)

// indexEntry computes a row's key and attributes in an index; ok is false
// when the row lacks an indexed column and so has no entry.
func indexEntry(base, im *tableMeta, pk []value,
	row *storedRow) (key []byte, attrs *storedRow, ok bool) {
	if row == nil {
		return nil, nil, false
	}
	ipk := make([]value, len(im.PK))
	for i, c := range im.PK {
		if j := base.pkIndex(c.Name); j >= 0 {
			ipk[i] = pk[j]
			continue
		}
		col := row.column(c.Name)
		if col == nil || len(col.vers) == 0 || col.vers[0].val.kind != pkKind(c.Type) {
			return nil, nil, false
		}
		ipk[i] = col.vers[0].val
	}
	attrs = &storedRow{written: row.written}
	for _, d := range im.Defined {
		if col := row.column(d.Name); col != nil && len(col.vers) > 0 {
			attrs.cols = append(attrs.cols, column{name: d.Name, vers: col.vers[:1]})
		}
	}
	return encodeKey(ipk), attrs, true
}

// syncIndex moves a row's index entry from its old state to its new one,
// in the base write's transaction.
// TODO(#3): the cloud updates global indexes asynchronously (within
// milliseconds); here they are read-your-writes consistent.
func (s *Server) syncIndex(tx *bolt.Tx, base, im *tableMeta, pk []value,
	old, next *storedRow, now int64) error {
	b := tx.Bucket(rowBucket(im.Name))
	if b == nil {
		return nil
	}
	oldKey, _, hadOld := indexEntry(base, im, pk, old)
	newKey, attrs, hasNew := indexEntry(base, im, pk, next)
	if hadOld && (!hasNew || string(oldKey) != string(newKey)) {
		if err := b.Delete(oldKey); err != nil {
			return err
		}
		s.charge(im.Name, Capacity{Write: 1})
	}
	if hasNew {
		if err := b.Put(newKey, attrs.encode()); err != nil {
			return err
		}
		s.charge(im.Name, Capacity{Write: 1})
	}
	return nil
}

// buildIndexRows fills a new index from every live row of its base table.
func (s *Server) buildIndexRows(tx *bolt.Tx, base, im *tableMeta) error {
	src := tx.Bucket(rowBucket(base.Name))
	if src == nil {
		return nil
	}
	now := s.nowMS()
	kinds := base.kinds()
	return src.ForEach(func(k, v []byte) error {
		row, err := rowStore{tx, src, base.Name}.decode(v)
		if err != nil {
			return err
		}
		view, exists := base.view(row, now)
		if !exists {
			return nil
		}
		pk, err := decodeKey(k, kinds)
		if err != nil {
			return err
		}
		return s.syncIndex(tx, base, im, pk, nil, view, now)
	})
}
