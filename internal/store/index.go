package store

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
)

// The index is an open-addressing hash table on disk that maps the hash of
// a report's dedup key to the offset of its line in the store. A lookup
// reads a few slots and one store line, whatever the size of the store.
// docs/store-format.md describes the layout.
const (
	indexMagic      = "TLSRPTIX"
	indexVersion    = 1
	indexHeaderSize = 128
	slotSize        = 16 // key hash, then store offset, both little-endian uint64
	pageSize        = 4096
	slotsPerPage    = pageSize / slotSize
	minSlots        = 1 << 10
	tailSize        = 64 // bytes at the end of the indexed part of the store that the header fingerprints
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// errIndexCorrupt marks an index whose content does not match the store.
var errIndexCorrupt = errors.New("index is corrupt")

// index is the hash table, read and written page by page in the file when
// a run adds a few reports. After a rebuild, when the table grows or when
// many reports are added, it is held whole in memory instead. Each page of
// slots has a CRC-32C, checked whenever the page is read, so that damaged
// slots are noticed and the index is rebuilt instead of trusted.
type index struct {
	path      string
	file      *os.File          // nil when the table is in memory
	pages     map[uint64][]byte // pages read from the file, checked
	dirty     map[uint64]bool   // pages changed since they were read
	mem       []byte            // the slots, when the table is in memory
	slots     uint64            // a power of two
	count     uint64
	storeSize int64    // the store's bytes [0, storeSize) are indexed
	tail      [32]byte // SHA-256 of the tailSize bytes before storeSize
}

// keyHash returns the 64-bit hash of a dedup key. Zero marks an empty
// slot, so it is never returned.
func keyHash(key string) uint64 {
	sum := sha256.Sum256([]byte(key))
	h := binary.LittleEndian.Uint64(sum[:8])
	if h == 0 {
		h = 1
	}
	return h
}

// newMemIndex returns an empty in-memory table with room for n entries.
func newMemIndex(path string, n uint64) *index {
	slots := uint64(minSlots)
	for slots/2 < n {
		slots *= 2
	}
	return &index{path: path, mem: make([]byte, slots*slotSize), slots: slots}
}

// fileSize returns the size of an index file with the given number of
// slots: the header, the slots and a CRC-32C per page of slots.
func fileSize(slots uint64) int64 {
	return int64(indexHeaderSize + slots*slotSize + slots/slotsPerPage*4)
}

// openIndex opens the index file at path and checks its header against
// the store. It returns an error wrapping os.ErrNotExist when the file is
// missing and errIndexCorrupt when it cannot be used; in both cases the
// caller rebuilds it. An index that covers only a prefix of the store is
// returned as it is, and the caller indexes the rest.
func openIndex(path string, store *os.File, storeSize int64, writable bool) (*index, error) {
	flag := os.O_RDONLY
	if writable {
		flag = os.O_RDWR
	}
	f, err := os.OpenFile(path, flag, 0)
	if err != nil {
		return nil, err
	}
	x, err := readIndexHeader(f)
	if err == nil {
		err = x.checkStore(store, storeSize)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	x.path = path
	x.file = f
	x.pages = make(map[uint64][]byte)
	x.dirty = make(map[uint64]bool)
	return x, nil
}

func readIndexHeader(f *os.File) (*index, error) {
	var h [indexHeaderSize]byte
	if _, err := f.ReadAt(h[:], 0); err != nil {
		return nil, fmt.Errorf("%w: header unreadable: %v", errIndexCorrupt, err)
	}
	if string(h[0:8]) != indexMagic {
		return nil, fmt.Errorf("%w: no %s magic at the start", errIndexCorrupt, indexMagic)
	}
	if crc32.Checksum(h[:72], crcTable) != binary.LittleEndian.Uint32(h[72:76]) {
		return nil, fmt.Errorf("%w: header checksum mismatch", errIndexCorrupt)
	}
	if v := binary.LittleEndian.Uint32(h[8:12]); v != indexVersion {
		return nil, fmt.Errorf("%w: version %d, expected %d", errIndexCorrupt, v, indexVersion)
	}

	x := &index{
		slots:     binary.LittleEndian.Uint64(h[16:24]),
		count:     binary.LittleEndian.Uint64(h[24:32]),
		storeSize: int64(binary.LittleEndian.Uint64(h[32:40])),
	}
	copy(x.tail[:], h[40:72])
	if x.slots < minSlots || x.slots&(x.slots-1) != 0 || x.count >= x.slots || x.storeSize < 0 {
		return nil, fmt.Errorf("%w: %d slots, %d entries, store size %d", errIndexCorrupt, x.slots, x.count, x.storeSize)
	}

	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if want := fileSize(x.slots); info.Size() != want {
		return nil, fmt.Errorf("%w: %d bytes, expected %d for %d slots", errIndexCorrupt, info.Size(), want, x.slots)
	}
	return x, nil
}

// checkStore returns errIndexCorrupt unless the index covers a prefix of
// the store, as far as the fingerprint of its last bytes shows.
func (x *index) checkStore(store *os.File, storeSize int64) error {
	if x.storeSize > storeSize {
		return fmt.Errorf("%w: it covers %d bytes but the store has only %d", errIndexCorrupt, x.storeSize, storeSize)
	}
	tail, err := tailHash(store, x.storeSize)
	if err != nil {
		return err
	}
	if tail != x.tail {
		return fmt.Errorf("%w: the store's bytes before offset %d changed", errIndexCorrupt, x.storeSize)
	}
	return nil
}

// tailHash returns the SHA-256 of the tailSize bytes before end, or of all
// bytes before end in a shorter store.
func tailHash(store *os.File, end int64) ([32]byte, error) {
	start := max(end-tailSize, 0)
	buf := make([]byte, end-start)
	if store != nil && len(buf) > 0 {
		if _, err := store.ReadAt(buf, start); err != nil {
			return [32]byte{}, fmt.Errorf("read store at offset %d: %w", start, err)
		}
	}
	return sha256.Sum256(buf), nil
}

// page returns page p of the slots, reading and checking it first when the
// table is in the file.
func (x *index) page(p uint64) ([]byte, error) {
	if x.mem != nil {
		return x.mem[p*pageSize : (p+1)*pageSize], nil
	}
	if page, ok := x.pages[p]; ok {
		return page, nil
	}
	buf := make([]byte, pageSize+4)
	if _, err := x.file.ReadAt(buf[:pageSize], int64(indexHeaderSize+p*pageSize)); err != nil {
		return nil, fmt.Errorf("read index %s page %d: %w", x.path, p, err)
	}
	if _, err := x.file.ReadAt(buf[pageSize:], x.crcOffset(p)); err != nil {
		return nil, fmt.Errorf("read index %s page %d checksum: %w", x.path, p, err)
	}
	page := buf[:pageSize]
	if crc32.Checksum(page, crcTable) != binary.LittleEndian.Uint32(buf[pageSize:]) {
		return nil, fmt.Errorf("%w: checksum mismatch in page %d", errIndexCorrupt, p)
	}
	x.pages[p] = page
	return page, nil
}

func (x *index) crcOffset(p uint64) int64 {
	return int64(indexHeaderSize + x.slots*slotSize + p*4)
}

func (x *index) slot(i uint64) (hash uint64, offset int64, err error) {
	page, err := x.page(i / slotsPerPage)
	if err != nil {
		return 0, 0, err
	}
	b := page[i%slotsPerPage*slotSize:]
	return binary.LittleEndian.Uint64(b[0:8]), int64(binary.LittleEndian.Uint64(b[8:16])), nil
}

func (x *index) setSlot(i uint64, hash uint64, offset int64) error {
	page, err := x.page(i / slotsPerPage)
	if err != nil {
		return err
	}
	b := page[i%slotsPerPage*slotSize:]
	binary.LittleEndian.PutUint64(b[0:8], hash)
	binary.LittleEndian.PutUint64(b[8:16], uint64(offset))
	if x.mem == nil {
		x.dirty[i/slotsPerPage] = true
	}
	return nil
}

// find calls visit with the store offset of every entry under hash, in
// probe order, until visit returns false.
func (x *index) find(hash uint64, visit func(offset int64) (more bool, err error)) error {
	for i, n := hash&(x.slots-1), uint64(0); n < x.slots; i, n = (i+1)&(x.slots-1), n+1 {
		h, offset, err := x.slot(i)
		if err != nil {
			return err
		}
		if h == 0 {
			return nil
		}
		if h != hash {
			continue
		}
		if offset < 0 || offset >= x.storeSize {
			return fmt.Errorf("%w: slot %d points at offset %d, outside the %d indexed bytes", errIndexCorrupt, i, offset, x.storeSize)
		}
		more, err := visit(offset)
		if err != nil || !more {
			return err
		}
	}
	return fmt.Errorf("%w: no empty slot in %d", errIndexCorrupt, x.slots)
}

// insert adds an entry. An entry with the same hash and offset is already
// there after a run that crashed between writing the slots and the header,
// so insert leaves it alone.
func (x *index) insert(hash uint64, offset int64) error {
	if (x.count+1)*2 > x.slots {
		if err := x.grow(x.slots * 2); err != nil {
			return err
		}
	}
	for i, n := hash&(x.slots-1), uint64(0); n < x.slots; i, n = (i+1)&(x.slots-1), n+1 {
		h, o, err := x.slot(i)
		if err != nil {
			return err
		}
		if h == hash && o == offset {
			return nil
		}
		if h == 0 {
			x.count++
			return x.setSlot(i, hash, offset)
		}
	}
	return fmt.Errorf("%w: no empty slot in %d", errIndexCorrupt, x.slots)
}

// load reads the whole table into memory, so that later inserts touch no
// file and save writes a new one.
func (x *index) load() error {
	if x.mem != nil {
		return nil
	}
	mem := make([]byte, x.slots*slotSize)
	for p := range x.slots / slotsPerPage {
		page, err := x.page(p)
		if err != nil {
			return err
		}
		copy(mem[p*pageSize:], page)
	}
	x.mem, x.pages, x.dirty = mem, nil, nil
	return x.closeFile()
}

// grow moves the entries into a table of the given number of slots, held
// in memory.
func (x *index) grow(slots uint64) error {
	if err := x.load(); err != nil {
		return err
	}
	old, oldSlots := x.mem, x.slots
	x.mem, x.slots, x.count = make([]byte, slots*slotSize), slots, 0
	for i := range oldSlots {
		b := old[i*slotSize : (i+1)*slotSize]
		hash := binary.LittleEndian.Uint64(b[0:8])
		if hash == 0 {
			continue
		}
		if err := x.insert(hash, int64(binary.LittleEndian.Uint64(b[8:16]))); err != nil {
			return err
		}
	}
	return nil
}

// reserve makes room for n more entries. For a large n it loads the table,
// which costs one read of the file but saves a system call per slot.
func (x *index) reserve(n uint64) error {
	if x.mem == nil && n > x.slots/16 {
		if err := x.load(); err != nil {
			return err
		}
	}
	want := x.slots
	for (x.count+n)*2 > want {
		want *= 2
	}
	if want != x.slots {
		return x.grow(want)
	}
	return nil
}

func (x *index) header() []byte {
	h := make([]byte, indexHeaderSize)
	copy(h[0:8], indexMagic)
	binary.LittleEndian.PutUint32(h[8:12], indexVersion)
	binary.LittleEndian.PutUint64(h[16:24], x.slots)
	binary.LittleEndian.PutUint64(h[24:32], x.count)
	binary.LittleEndian.PutUint64(h[32:40], uint64(x.storeSize))
	copy(h[40:72], x.tail[:])
	binary.LittleEndian.PutUint32(h[72:76], crc32.Checksum(h[:72], crcTable))
	return h
}

// save makes the index durable with storeSize as the end of the indexed
// part of store. A table in the file gets its changed pages synced before
// the new header is written, so a header never covers entries that a crash
// lost.
// A table in memory is written to a new file that replaces the old one.
func (x *index) save(store *os.File, storeSize int64) error {
	tail, err := tailHash(store, storeSize)
	if err != nil {
		return err
	}
	x.storeSize, x.tail = storeSize, tail

	if x.mem == nil {
		for p := range x.dirty {
			page := x.pages[p]
			if _, err := x.file.WriteAt(page, int64(indexHeaderSize+p*pageSize)); err != nil {
				return fmt.Errorf("write index %s page %d: %w", x.path, p, err)
			}
			var sum [4]byte
			binary.LittleEndian.PutUint32(sum[:], crc32.Checksum(page, crcTable))
			if _, err := x.file.WriteAt(sum[:], x.crcOffset(p)); err != nil {
				return fmt.Errorf("write index %s page %d checksum: %w", x.path, p, err)
			}
		}
		clear(x.dirty)
		if err := x.file.Sync(); err != nil {
			return fmt.Errorf("sync index %s: %w", x.path, err)
		}
		if _, err := x.file.WriteAt(x.header(), 0); err != nil {
			return fmt.Errorf("write index %s header: %w", x.path, err)
		}
		return nil
	}
	return x.writeFile()
}

func (x *index) writeFile() (err error) {
	tmp := x.path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("create index: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()

	if _, err := f.Write(x.header()); err != nil {
		return fmt.Errorf("write index %s: %w", tmp, err)
	}
	if _, err := f.Write(x.mem); err != nil {
		return fmt.Errorf("write index %s: %w", tmp, err)
	}
	sums := make([]byte, 0, x.slots/slotsPerPage*4)
	for p := range x.slots / slotsPerPage {
		sums = binary.LittleEndian.AppendUint32(sums, crc32.Checksum(x.mem[p*pageSize:(p+1)*pageSize], crcTable))
	}
	if _, err := f.Write(sums); err != nil {
		return fmt.Errorf("write index %s: %w", tmp, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync index %s: %w", tmp, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close index %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, x.path); err != nil {
		return fmt.Errorf("replace index: %w", err)
	}
	return nil
}

func (x *index) closeFile() error {
	if x.file == nil {
		return nil
	}
	err := x.file.Close()
	x.file = nil
	return err
}
