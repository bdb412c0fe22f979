/* SPDX-License-Identifier: MIT */
/* asyncio tasks in the text report: each loop's tasks under the thread that
 * runs it, tasks with identical coroutine stacks printed once with their
 * count and names (a server with 500 tasks parked at one `await`), then the
 * tree of who awaits whom as `python -m asyncio pstree` draws it (a task,
 * the awaiter's coroutine frames outermost first, the awaited task), with
 * cycles reported and cut instead of followed. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "format_priv.h"

enum {
	NAMES_SHOWN = 20,	/* names listed for a group of identical tasks */
	TREE_DEPTH = 256,	/* levels of the await tree drawn */
	CYCLE_BUDGET = 1 << 20, /* steps spent looking for cycles */
};

const char *pyx_task_state_name(enum pyx_task_state s)
{
	return s == PYX_TASK_RUNNING	  ? "running"
	       : s == PYX_TASK_CANCELLING ? "cancelling"
					  : "pending";
}

static int same_frames(const struct pyx_task *a, const struct pyx_task *b)
{
	if (a->nframes != b->nframes || a->state != b->state || a->nawaits || b->nawaits ||
	    a->error != b->error)
		return 0;
	if (a->error && strcmp(a->error_msg ? a->error_msg : "", b->error_msg ? b->error_msg : ""))
		return 0;
	for (size_t i = 0; i < a->nframes; i++) {
		const struct pyx_frame *x = &a->frames[i], *y = &b->frames[i];
		if (x->error || y->error || x->line != y->line ||
		    strcmp(x->qualname, y->qualname) || strcmp(x->file, y->file))
			return 0;
	}
	return 1;
}

/* ---- grouping tasks with one stack, in O(n log n) ---- */

static uint64_t mix(uint64_t h, uint64_t v)
{
	return (h ^ v) * 0x100000001b3ull;
}

static uint64_t hash_str(uint64_t h, const char *s)
{
	for (; s && *s; s++)
		h = mix(h, (unsigned char)*s);
	return mix(h, 0xff);
}

/* Equal stacks (same_frames) hash equal. */
static uint64_t stack_hash(const struct pyx_task *t)
{
	uint64_t h = mix(mix(mix(0xcbf29ce484222325ull, (uint64_t)t->state), t->nframes),
			 (uint64_t)t->error);
	for (size_t i = 0; i < t->nframes; i++) {
		const struct pyx_frame *f = &t->frames[i];
		h = hash_str(hash_str(mix(h, (uint64_t)(unsigned)f->line), f->qualname), f->file);
	}
	return h;
}

struct keyed {
	uint64_t hash;
	size_t index;
};

static int by_hash(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;
	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* For n tasks: lead[i] is the first task with i's stack (i itself when it
 * is the first), count[lead] how many share it, next[i] the next task of
 * i's group (n: none). Without `group` (or without memory) every task is
 * on its own. */
struct groups {
	size_t *lead, *count, *next;
};

static void groups_free(struct groups *g)
{
	free(g->lead);
	free(g->count);
	free(g->next);
}

static int group_stacks(const struct pyx_task *const *t, size_t n, int group, struct groups *g)
{
	struct keyed *k = NULL;
	size_t *last = NULL;
	g->lead = calloc(n + 1, sizeof *g->lead);
	g->count = calloc(n + 1, sizeof *g->count);
	g->next = calloc(n + 1, sizeof *g->next);
	if (!g->lead || !g->count || !g->next) {
		groups_free(g);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		g->lead[i] = i;
		g->count[i] = 1;
		g->next[i] = n;
	}
	if (!group || n < 2)
		return 0;
	k = calloc(n, sizeof *k);
	last = calloc(n, sizeof *last);
	if (!k || !last)
		goto out;
	for (size_t i = 0; i < n; i++) {
		k[i].hash = stack_hash(t[i]);
		k[i].index = i;
	}
	qsort(k, n, sizeof *k, by_hash);
	for (size_t r = 0; r < n;) {
		size_t end = r;
		while (end < n && k[end].hash == k[r].hash)
			end++;
		/* Within a run of one hash, in index order: join the first
		 * earlier leader with the same stack (collisions stay apart). */
		for (size_t a = r; a < end; a++) {
			size_t i = k[a].index;
			for (size_t b = r; b < a; b++) {
				size_t j = k[b].index;
				if (g->lead[j] == j && same_frames(t[j], t[i])) {
					g->lead[i] = j;
					g->count[j]++;
					g->count[i] = 0;
					break;
				}
			}
		}
		r = end;
	}
	for (size_t i = 0; i < n; i++)
		last[i] = i;
	for (size_t i = 0; i < n; i++)
		if (g->lead[i] != i) {
			g->next[last[g->lead[i]]] = i;
			last[g->lead[i]] = i;
		}
out:
	free(k);
	free(last);
	return 0;
}

static void task_name(struct pyx_out *out, const struct pyx_task *t)
{
	pyx_out_putc(out, '"');
	pyx_out_text(out, t->name ? t->name : "?");
	pyx_out_putc(out, '"');
}

/* The name of the task with this id among the interpreter's tasks. */
static const struct pyx_task *find_task(const struct pyx_interp *in, uint64_t id)
{
	for (size_t i = 0; i < in->nthreads; i++)
		for (size_t j = 0; j < in->threads[i].ntasks; j++)
			if (in->threads[i].tasks[j].id == id)
				return &in->threads[i].tasks[j];
	for (size_t j = 0; j < in->nstopped_loop_tasks; j++)
		if (in->stopped_loop_tasks[j].id == id)
			return &in->stopped_loop_tasks[j];
	return NULL;
}

static void print_awaits(struct pyx_out *out, const struct pyx_interp *in, const struct pyx_task *t)
{
	for (size_t i = 0; i < t->nawaits; i++) {
		const struct pyx_task *w = find_task(in, t->awaits[i]);
		pyx_out_puts(out, i ? ", " : ", awaits ");
		if (w)
			task_name(out, w);
		else
			pyx_out_printf(out, "0x%" PRIx64, t->awaits[i]);
	}
}

static void print_group(const struct pyx_task_printer *p, const struct pyx_interp *in,
			const struct pyx_task *tasks, const struct groups *g, size_t n,
			size_t first)
{
	struct pyx_out *out = p->out;
	const struct pyx_task *t = &tasks[first];
	size_t same = g->count[first];
	pyx_out_putc(out, '\n');
	pyx_out_style(out, PYX_STYLE_HEADER);
	if (same > 1) {
		pyx_out_printf(out, "%zu tasks with this stack (%s): ", same,
			       pyx_task_state_name(t->state));
		size_t shown = 0;
		for (size_t k = first; k < n && shown < NAMES_SHOWN; k = g->next[k]) {
			if (shown++)
				pyx_out_puts(out, ", ");
			task_name(out, &tasks[k]);
		}
		if (same > shown)
			pyx_out_printf(out, " and %zu more", same - shown);
	} else {
		pyx_out_puts(out, "Task ");
		task_name(out, t);
		pyx_out_printf(out, " (%s%s", pyx_task_state_name(t->state),
			       t->is_python ? ", Python Task" : "");
		print_awaits(out, in, t);
		pyx_out_putc(out, ')');
		if (p->addrs)
			pyx_out_printf(out, " [task 0x%" PRIx64 "]", t->id);
	}
	pyx_out_style(out, PYX_STYLE_NONE);
	pyx_out_putc(out, '\n');
	for (size_t i = 0; i < t->nframes; i++)
		p->frame(p->ctx, &t->frames[i]);
	if (!t->nframes && !t->error)
		pyx_out_puts(out, "    (no coroutine frames)\n");
	if (t->error) {
		pyx_out_style(out, PYX_STYLE_ERROR);
		pyx_out_puts(out, "    ... coroutine stack cut here: ");
		pyx_out_text(out, t->error_msg);
		pyx_out_style(out, PYX_STYLE_NONE);
		pyx_out_putc(out, '\n');
	}
}

void pyx_format_tasks_text(const struct pyx_task_printer *p, const struct pyx_interp *in,
			   const struct pyx_task *tasks, size_t n, const char *title)
{
	struct pyx_out *out = p->out;
	const struct pyx_task **ptrs;
	struct groups g;
	if (!n)
		return;
	pyx_out_putc(out, '\n');
	pyx_out_style(out, PYX_STYLE_HEADER);
	pyx_out_printf(out, "%s (%zu task%s)", title, n, n == 1 ? "" : "s");
	pyx_out_style(out, PYX_STYLE_NONE);
	pyx_out_puts(out, ":\n");
	ptrs = calloc(n, sizeof *ptrs);
	for (size_t i = 0; ptrs && i < n; i++)
		ptrs[i] = &tasks[i];
	if (!ptrs || group_stacks(ptrs, n, p->group, &g) < 0) {
		free(ptrs);
		pyx_out_puts(out, "(no memory to print the tasks)\n");
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (g.lead[i] == i)
			print_group(p, in, tasks, &g, n, i);
	groups_free(&g);
	free(ptrs);
}

/* ---- the await tree ---- */

/* Every task of the interpreter, in one array of pointers. */
struct tree {
	struct pyx_out *out;
	int group; /* leaf tasks with one stack drawn once */
	const struct pyx_task **all; /* every task, sorted by id */
	unsigned char *awaited;	     /* all[i] is awaited by another task */
	size_t n;
	size_t budget;		      /* steps left for finding cycles */
	const struct pyx_task **path; /* tasks from the root to where we draw */
	size_t depth;
	char prefix[4 * TREE_DEPTH + 8];
};

static size_t collect(const struct pyx_interp *in, const struct pyx_task **all)
{
	size_t n = 0;
	for (size_t i = 0; i < in->nthreads; i++)
		for (size_t j = 0; j < in->threads[i].ntasks; j++) {
			if (all)
				all[n] = &in->threads[i].tasks[j];
			n++;
		}
	for (size_t j = 0; j < in->nstopped_loop_tasks; j++) {
		if (all)
			all[n] = &in->stopped_loop_tasks[j];
		n++;
	}
	return n;
}

static int by_id(const void *a, const void *b)
{
	uint64_t x = (*(const struct pyx_task *const *)a)->id;
	uint64_t y = (*(const struct pyx_task *const *)b)->id;
	return x < y ? -1 : x > y;
}

/* Index in tr->all of the task with this id, or tr->n. */
static size_t lookup(const struct tree *tr, uint64_t id)
{
	size_t lo = 0, hi = tr->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (tr->all[mid]->id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < tr->n && tr->all[lo]->id == id ? lo : tr->n;
}

static void branch(struct tree *tr, int last)
{
	pyx_out_puts(tr->out, tr->prefix);
	pyx_out_puts(tr->out, last ? "\u2514\u2500\u2500 " : "\u251c\u2500\u2500 ");
}

/* Descends one level: the prefix grows by "    " or "│   ". */
static size_t push(struct tree *tr, int last)
{
	size_t len = strlen(tr->prefix);
	if (len + 8 < sizeof tr->prefix)
		strcpy(tr->prefix + len, last ? "    " : "\u2502   ");
	return len;
}

static void frame_label(struct pyx_out *out, const struct pyx_frame *f)
{
	pyx_out_putc(out, ' ');
	pyx_out_text(out, f->error ? "???" : f->qualname);
	pyx_out_putc(out, ' ');
	pyx_out_text(out, f->error ? "?" : f->file);
	pyx_out_printf(out, ":%d\n", f->line);
}

static void draw_task(struct tree *tr, const struct pyx_task *t, int last, size_t more);

/* Draws siblings (the roots, or the tasks one task awaits); with grouping,
 * those with one stack (leaves: tasks that await others never group) once
 * with the count of the others. */
static void draw_siblings(struct tree *tr, const struct pyx_task **sib, size_t n)
{
	struct groups g;
	size_t last = 0;
	if (group_stacks(sib, n, tr->group, &g) < 0) {
		pyx_out_puts(tr->out, "(no memory to draw these tasks)\n");
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (g.lead[i] == i)
			last = i;
	for (size_t i = 0; i < n; i++)
		if (g.lead[i] == i)
			draw_task(tr, sib[i], i == last, g.count[i] - 1);
	groups_free(&g);
}

/* Below a task: the awaiter's coroutine frames outermost first, then each
 * awaited task; a task that awaits none shows its own stack. */
static void draw_children(struct tree *tr, const struct pyx_task *t)
{
	size_t nf = t->nframes;
	size_t saved = strlen(tr->prefix);
	/* The frames, one level each, the last holding the awaited tasks. */
	for (size_t i = nf; i > 0; i--) {
		branch(tr, 1);
		frame_label(tr->out, &t->frames[i - 1]);
		push(tr, 1);
	}
	const struct pyx_task **kids = calloc(t->nawaits + 1, sizeof *kids);
	size_t n = 0;
	for (size_t k = 0; kids && k < t->nawaits; k++) {
		size_t c = lookup(tr, t->awaits[k]);
		if (c < tr->n)
			kids[n++] = tr->all[c];
	}
	if (kids)
		draw_siblings(tr, kids, n);
	free(kids);
	tr->prefix[saved] = '\0';
}

static void draw_task(struct tree *tr, const struct pyx_task *t, int last, size_t more)
{
	branch(tr, last);
	pyx_out_puts(tr->out, "(T) ");
	pyx_out_text(tr->out, t->name ? t->name : "?");
	if (more)
		pyx_out_printf(tr->out, " and %zu more task%s with this stack", more,
			       more == 1 ? "" : "s");
	for (size_t i = 0; i < tr->depth; i++)
		if (tr->path[i] == t) {
			pyx_out_style(tr->out, PYX_STYLE_ERROR);
			pyx_out_puts(tr->out, "  (cycle: awaits a task above it; not followed)");
			pyx_out_style(tr->out, PYX_STYLE_NONE);
			pyx_out_putc(tr->out, '\n');
			return;
		}
	pyx_out_putc(tr->out, '\n');
	if (tr->depth >= TREE_DEPTH) {
		pyx_out_puts(tr->out, tr->prefix);
		pyx_out_puts(tr->out, "    ... (deeper levels not drawn)\n");
		return;
	}
	size_t saved = push(tr, last);
	tr->path[tr->depth++] = t;
	draw_children(tr, t);
	tr->depth--;
	tr->prefix[saved] = '\0';
}

/* Cycles among the tasks, each printed once as "a → b → a". */
static void print_cycles(struct tree *tr)
{
	for (size_t i = 0; i < tr->n; i++) {
		/* Follow awaits from task i looking for a way back to it, depth
		 * first with an explicit path; print the cycle only from its
		 * first member (smallest index) so each is told once. */
		const struct pyx_task *start = tr->all[i];
		size_t idx[TREE_DEPTH], depth = 0;
		const struct pyx_task *stack[TREE_DEPTH];
		stack[0] = start;
		idx[0] = 0;
		depth = 1;
		while (depth && tr->budget) {
			const struct pyx_task *t = stack[depth - 1];
			tr->budget--;
			if (idx[depth - 1] >= t->nawaits || depth >= TREE_DEPTH) {
				depth--;
				continue;
			}
			size_t j = lookup(tr, t->awaits[idx[depth - 1]++]);
			if (j == tr->n || j < i)
				continue; /* unknown, or a cycle told from an earlier task */
			if (j == i) {
				pyx_out_style(tr->out, PYX_STYLE_ERROR);
				pyx_out_puts(tr->out, "cycle: ");
				for (size_t k = 0; k < depth; k++) {
					pyx_out_text(tr->out,
						     stack[k]->name ? stack[k]->name : "?");
					pyx_out_puts(tr->out, " \u2192 ");
				}
				pyx_out_text(tr->out, start->name ? start->name : "?");
				pyx_out_style(tr->out, PYX_STYLE_NONE);
				pyx_out_putc(tr->out, '\n');
				continue;
			}
			int on_path = 0;
			for (size_t k = 0; k < depth && !on_path; k++)
				on_path = stack[k] == tr->all[j];
			if (on_path)
				continue;
			stack[depth] = tr->all[j];
			idx[depth++] = 0;
		}
	}
}

void pyx_format_await_tree(struct pyx_out *out, const struct pyx_interp *in, int group)
{
	struct tree tr = {.out = out, .group = group};
	tr.n = collect(in, NULL);
	if (!tr.n)
		return;
	tr.all = calloc(tr.n, sizeof *tr.all);
	tr.awaited = calloc(tr.n, 1);
	tr.path = calloc(TREE_DEPTH + 1, sizeof *tr.path);
	if (!tr.all || !tr.awaited || !tr.path) {
		pyx_out_puts(out, "\n(no memory to draw the await tree)\n");
		goto out;
	}
	collect(in, tr.all);
	qsort(tr.all, tr.n, sizeof *tr.all, by_id);
	for (size_t i = 0; i < tr.n; i++)
		for (size_t k = 0; k < tr.all[i]->nawaits; k++) {
			size_t j = lookup(&tr, tr.all[i]->awaits[k]);
			if (j < tr.n && j != i)
				tr.awaited[j] = 1;
		}
	tr.budget = CYCLE_BUDGET;
	pyx_out_putc(out, '\n');
	pyx_out_style(out, PYX_STYLE_HEADER);
	pyx_out_puts(out, "Await tree (as python -m asyncio pstree draws it):");
	pyx_out_style(out, PYX_STYLE_NONE);
	pyx_out_putc(out, '\n');
	print_cycles(&tr);
	if (!tr.budget)
		pyx_out_puts(out, "(too many await paths to look for every cycle)\n");
	const struct pyx_task **roots = calloc(tr.n, sizeof *roots);
	size_t nroots = 0;
	for (size_t i = 0; roots && i < tr.n; i++)
		if (!tr.awaited[i])
			roots[nroots++] = tr.all[i];
	tr.prefix[0] = '\0';
	if (roots)
		draw_siblings(&tr, roots, nroots);
	free(roots);
	if (!nroots)
		pyx_out_puts(out, "(every task is awaited by another: only cycles, shown above)\n");
out:
	free(tr.all);
	free(tr.awaited);
	free(tr.path);
}
