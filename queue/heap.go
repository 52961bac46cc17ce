package queue

// ixHeap is a binary min-heap that tells each item where it sits, so items
// can be removed from the middle in O(log n) (a call that is abandoned, an
// agent who stops being free).
type ixHeap[T any] struct {
	items []T
	less  func(a, b T) bool
	moved func(x T, i int) // i is -1 once x leaves the heap
}

func newIxHeap[T any](less func(a, b T) bool, moved func(T, int)) *ixHeap[T] {
	if moved == nil {
		moved = func(T, int) {}
	}
	return &ixHeap[T]{less: less, moved: moved}
}

func (h *ixHeap[T]) Len() int { return len(h.items) }

func (h *ixHeap[T]) Top() (T, bool) {
	if len(h.items) == 0 {
		var zero T
		return zero, false
	}
	return h.items[0], true
}

func (h *ixHeap[T]) Push(x T) {
	h.items = append(h.items, x)
	i := len(h.items) - 1
	h.moved(x, i)
	h.up(i)
}

func (h *ixHeap[T]) Pop() T {
	return h.Remove(0)
}

// Remove takes out the item at index i.
func (h *ixHeap[T]) Remove(i int) T {
	x := h.items[i]
	last := len(h.items) - 1
	if i != last {
		h.swap(i, last)
	}
	var zero T
	h.items[last] = zero
	h.items = h.items[:last]
	if i != last {
		if !h.down(i) {
			h.up(i)
		}
	}
	h.moved(x, -1)
	return x
}

func (h *ixHeap[T]) swap(i, j int) {
	h.items[i], h.items[j] = h.items[j], h.items[i]
	h.moved(h.items[i], i)
	h.moved(h.items[j], j)
}

func (h *ixHeap[T]) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !h.less(h.items[i], h.items[p]) {
			return
		}
		h.swap(i, p)
		i = p
	}
}

// down sifts i down and reports whether it moved.
func (h *ixHeap[T]) down(i int) bool {
	start := i
	n := len(h.items)
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && h.less(h.items[r], h.items[l]) {
			m = r
		}
		if !h.less(h.items[m], h.items[i]) {
			break
		}
		h.swap(i, m)
		i = m
	}
	return i > start
}

// BestWhere returns the least item for which ok holds, visiting the heap
// best-first so the cost grows with the number of items rejected, not with
// the heap (a call excludes only the few agents who already failed it).
func (h *ixHeap[T]) BestWhere(ok func(T) bool) (T, bool) {
	var zero T
	if len(h.items) == 0 {
		return zero, false
	}
	if ok(h.items[0]) {
		return h.items[0], true
	}
	frontier := newIxHeap(func(a, b int) bool { return h.less(h.items[a], h.items[b]) }, nil)
	frontier.Push(0)
	for frontier.Len() > 0 {
		i := frontier.Pop()
		if ok(h.items[i]) {
			return h.items[i], true
		}
		for _, c := range []int{2*i + 1, 2*i + 2} {
			if c < len(h.items) {
				frontier.Push(c)
			}
		}
	}
	return zero, false
}
