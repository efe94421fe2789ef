package memindex

// rowsPerBlock is how many vectors share one allocation. Growing one large
// slice by appending would, at each doubling, briefly hold the old and the
// new array: at 100,000 chunks that transient alone is tens of megabytes of
// peak memory. Fixed blocks grow without copying.
const rowsPerBlock = 1024

// vectorRows stores, per slot, the sign bits and the int8-quantised vector
// with the inverse norm of its int8 row (0 for a slot without a vector).
type vectorRows struct {
	dim, words int
	blocks     []*vectorBlock
	n          int
}

type vectorBlock struct {
	signs    []uint64
	quant    []int8
	invNorms []float32
}

func newVectorRows(dim int) vectorRows {
	return vectorRows{dim: dim, words: (dim + 63) / 64}
}

func (r *vectorRows) add(sign []uint64, quant []int8, invNorm float32) {
	off := r.n % rowsPerBlock
	if off == 0 {
		r.blocks = append(r.blocks, &vectorBlock{
			signs:    make([]uint64, rowsPerBlock*r.words),
			quant:    make([]int8, rowsPerBlock*r.dim),
			invNorms: make([]float32, rowsPerBlock),
		})
	}
	b := r.blocks[len(r.blocks)-1]
	copy(b.signs[off*r.words:], sign)
	copy(b.quant[off*r.dim:], quant)
	b.invNorms[off] = invNorm
	r.n++
}

func (r *vectorRows) signs(s int) []uint64 {
	b, off := r.blocks[s/rowsPerBlock], s%rowsPerBlock
	return b.signs[off*r.words : (off+1)*r.words]
}

func (r *vectorRows) quant(s int) []int8 {
	b, off := r.blocks[s/rowsPerBlock], s%rowsPerBlock
	return b.quant[off*r.dim : (off+1)*r.dim]
}

func (r *vectorRows) invNorm(s int) float32 {
	return r.blocks[s/rowsPerBlock].invNorms[s%rowsPerBlock]
}
