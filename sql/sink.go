package sql

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/duckdb/duckdb-go/v2"
)

// How a Go step reads many rows of text. It runs a query that calls go_step_rows(rid, text, ...)
// on every row, e.g.
//
//	SELECT count(go_step_rows(n.rid, r.question)) FROM s3_norm n JOIN s1_rows r USING (rid)
//
// DuckDB evaluates the function on chunks of up to 2,048 rows, on its worker threads (both
// cores here), and hands the strings over in place; the step's rowSink, which travels in the
// query's context (withSink), does the work on each chunk. Reading the same rows through
// database/sql (a Scan per row, strings copied, one core) cost about as much as the work itself
// at a million rows. A sink must be safe for concurrent chunks and must not keep the strings
// after consume returns.

// rowSink is the part of a Go step that consumes rows inside a query.
type rowSink interface {
	consume(c *sinkChunk) error
}

// sinkChunk is one chunk of rows: rid and the text columns, in the order of the call.
type sinkChunk struct {
	rids  []int64
	text  [][]string // text[col][row]; valid only during consume
	valid [][]bool   // valid[col][row]: false for NULL
}

type sinkKey struct{}

// sinkState is what withSink puts in the context: the sink and the number of rows it was given.
type sinkState struct {
	sink rowSink
	rows atomic.Int64
}

// withSink returns a context whose queries hand go_step_rows' rows to s.
func withSink(ctx context.Context, s rowSink) (context.Context, *sinkState) {
	st := &sinkState{sink: s}
	return context.WithValue(ctx, sinkKey{}, st), st
}

// sinkRows runs query (a SELECT count(go_step_rows(...)) ...) with s as the sink, and checks
// that every row it counted went through the sink once.
func (p *Pipeline) sinkRows(ctx context.Context, s rowSink, query string) (int64, error) {
	sctx, st := withSink(ctx, s)
	var n int64
	if err := p.conn.QueryRowContext(sctx, query).Scan(&n); err != nil {
		return 0, err
	}
	if got := st.rows.Load(); got != n {
		return 0, fmt.Errorf("go_step_rows saw %d rows, the query counted %d", got, n)
	}
	return n, nil
}

// sinkUDF is go_step_rows(rid BIGINT, text VARCHAR, ...) -> VARCHAR (an empty string per row:
// duckdb-go writes results of a chunk executor through string vectors only).
type sinkUDF struct{}

func (sinkUDF) Config() duckdb.ScalarFuncConfig {
	b, _ := duckdb.NewTypeInfo(duckdb.TYPE_BIGINT)
	v, _ := duckdb.NewTypeInfo(duckdb.TYPE_VARCHAR)
	return duckdb.ScalarFuncConfig{InputTypeInfos: []duckdb.TypeInfo{b}, VariadicTypeInfo: v, ResultTypeInfo: v,
		Volatile: true, SpecialNullHandling: true}
}

func (sinkUDF) Executor() duckdb.ScalarFuncExecutor {
	return duckdb.ScalarFuncExecutor{
		ScalarBinder: func(ctx context.Context, _ []duckdb.ScalarUDFArg) (context.Context, error) {
			return ctx, nil // the query's context, with the step's sink, reaches the executor
		},
		ChunkContextExecutor: func(ctx context.Context, state *duckdb.ChunkIteratorState) error {
			st, ok := ctx.Value(sinkKey{}).(*sinkState)
			if !ok {
				return fmt.Errorf("go_step_rows is called by the Go steps of the pipeline only")
			}
			in := state.GetInputChunk()
			n := in.GetSize()
			c := &sinkChunk{rids: make([]int64, n)}
			for row := range n {
				v, err := in.GetValue(0, row)
				if err != nil {
					return err
				}
				rid, ok := v.(int64)
				if !ok {
					return fmt.Errorf("go_step_rows: rid is NULL")
				}
				c.rids[row] = rid
			}
			for col := 1; col < in.ColumnCount(); col++ {
				vec, err := in.GetVector(col)
				if err != nil {
					return err
				}
				view, err := duckdb.GetVectorView[string](vec)
				if err != nil {
					return err
				}
				text, valid := make([]string, n), make([]bool, n)
				for row := range n {
					if text[row], valid[row], err = view.GetValueBorrowed(row); err != nil {
						return err
					}
				}
				c.text = append(c.text, text)
				c.valid = append(c.valid, valid)
			}
			if err := st.sink.consume(c); err != nil {
				return err
			}
			st.rows.Add(int64(n))
			out, err := duckdb.GetVectorWriter[string](state.GetResultVector())
			if err != nil {
				return err
			}
			for row := range n {
				if err := out.Set(row, ""); err != nil {
					return err
				}
			}
			return nil
		},
	}
}
