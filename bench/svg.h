/* SPDX-License-Identifier: MIT */
/*
 * svg: a small SVG chart writer for the benchmarks, no dependency beyond
 * libc and libm.
 *
 * A figure is a title, one or more panels in a grid, one legend shared by
 * the panels (a series name shown once, in the colour and dash of its
 * first appearance) and a footer line.  A panel is a line chart (numeric
 * or categorical x, linear or log10 axes) or a grouped bar chart (one
 * group per x category, one bar per series), with whiskers for the spread
 * where a series has them, horizontal reference lines and labelled marks.
 *
 * Values that are NAN (or not positive, on a log axis) are not drawn: a
 * line breaks there, a bar is left out.
 */
#ifndef PW_SVG_H
#define PW_SVG_H

#include <stdbool.h>
#include <stddef.h>

struct svg_series {
	const char *name;	/* in the legend */
	size_t n;		/* points (or bars: one per x category) */
	const double *x;	/* numeric x; NULL: the x categories 0 .. n-1 */
	const double *y;
	const double *lo, *hi;	/* the spread, drawn as whiskers; NULL: none */
	int color;		/* palette index */
	bool dashed;
};

struct svg_axis {
	const char *label;	/* with the unit */
	bool log;		/* log10 scale, ticks at decades */
	double min, max;	/* both 0: fitted to the data */
	const char *suffix;	/* after every tick value ("%"), or NULL */
	const char *const *cats;  /* x only: category labels ('\n' breaks lines) */
	size_t ncats;
};

/* A horizontal line across the panel at y, labelled at its right end. */
struct svg_ref {
	double y;
	const char *label;
};

/* A point drawn as a diamond with a label beside it. */
struct svg_mark {
	double x, y;
	const char *label;
	int color;
};

enum svg_kind { SVG_LINES, SVG_BARS };

struct svg_panel {
	const char *title;
	enum svg_kind kind;
	struct svg_axis x, y;
	const struct svg_series *series;
	size_t nseries;
	const struct svg_ref *refs;
	size_t nrefs;
	const struct svg_mark *marks;
	size_t nmarks;
	bool value_labels;	/* bars: print each median above its bar */
};

struct svg_figure {
	const char *title;
	const char *subtitle;	/* one smaller line under the title, or NULL */
	const char *footer;	/* one line at the bottom, or NULL */
	const struct svg_panel *panels;
	size_t npanels;
	int cols;		/* panels per row; 0: all in one row */
	int panel_w, panel_h;	/* pixels per panel; 0: 480 x 320 */
};

/* Write fig to path; 0 or -errno. */
int svg_write(const char *path, const struct svg_figure *fig);

/* The colour of palette index i, as "#rrggbb". */
const char *svg_color(int i);

#endif /* PW_SVG_H */
