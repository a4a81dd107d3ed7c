/* SPDX-License-Identifier: MIT */
/*
 * svg: the chart writer declared in svg.h, and -- because the Makefile
 * builds every .c file of bench/ as a program of its own -- the program that draws
 * the benchmark charts from the benchmarks' CSV files.
 *
 *   svg [--smoke] [--out DIR] [--cost CSV] [--watch CSV]
 *
 * reads cost_bench's CSV (--cost, default build/bench-cost.csv) and, when
 * it exists, watch_bench's (--watch, default build/bench-watch.csv), writes
 * DIR/bench-*.svg (default build/) and prints a Markdown list of the
 * charts on stdout.  A chart whose data is missing is skipped with a note;
 * the fault chart takes watch_bench's first-write figures when that file
 * has them, else cost_bench's own quick measurement.  --smoke draws every
 * kind of chart from made-up data into a temporary directory (a test of
 * the writer) and removes it again.
 *
 * Another benchmark may use the writer alone: #define SVG_NO_MAIN, then
 * #include "svg.c".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svg.h"

/* ==== the writer ==== */

#define SVG_FONT	"DejaVu Sans, Helvetica, Arial, sans-serif"
#define SVG_CHAR_W	0.58	/* mean glyph width per pixel of font size */
#define SVG_DEF_W	480
#define SVG_DEF_H	320
/* A white outline under text drawn over lines, to keep it readable. */
#define SVG_HALO	"paint-order=\"stroke\" stroke=\"#fff\" stroke-width=\"3\""

/* Distinguishable with the common colour-vision deficiencies. */
static const char *const svg_palette[] = {
	"#0072b2", "#d55e00", "#009e73", "#cc79a7",
	"#e69f00", "#56b4e9", "#000000", "#8c8c8c",
};
#define SVG_NPALETTE (sizeof(svg_palette) / sizeof(svg_palette[0]))

const char *svg_color(int i)
{
	if (i < 0)
		i = -i;
	return svg_palette[(size_t)i % SVG_NPALETTE];
}

struct svg_scale {
	double lo, hi;		/* the domain; log10 of it on a log axis */
	double step;		/* linear ticks */
	double p0, p1;		/* the pixels of lo and hi */
	bool log;
};

static bool svg_usable(double v, bool log)
{
	return isfinite(v) && (!log || v > 0);
}

static double svg_pos(const struct svg_scale *s, double v)
{
	double t = ((s->log ? log10(v) : v) - s->lo) / (s->hi - s->lo);

	return s->p0 + t * (s->p1 - s->p0);
}

static double svg_nice_step(double raw)
{
	double mag, r;

	if (!(raw > 0))
		return 1;
	mag = pow(10, floor(log10(raw)));
	r = raw / mag;
	return (r <= 1 ? 1 : r <= 2 ? 2 : r <= 5 ? 5 : 10) * mag;
}

/* The domain of an axis: given, or the data's [dmin, dmax] widened to
 * whole decades (log) or to round steps that include 0 (linear). */
static void svg_fit(struct svg_scale *s, const struct svg_axis *a, double dmin, double dmax)
{
	bool fixed = a->min != 0 || a->max != 0;

	s->log = a->log;
	if (fixed) {
		dmin = a->min;
		dmax = a->max;
	}
	if (!(dmin <= dmax)) {		/* no data */
		dmin = s->log ? 1 : 0;
		dmax = s->log ? 10 : 1;
	}
	if (s->log) {
		s->lo = fixed ? log10(dmin) : floor(log10(dmin) + 1e-9);
		s->hi = fixed ? log10(dmax) : ceil(log10(dmax) - 1e-9);
		if (s->hi <= s->lo)
			s->hi = s->lo + 1;
		return;
	}
	if (!fixed && dmin > 0)
		dmin = 0;
	s->step = svg_nice_step((dmax - dmin) / 5);
	s->lo = fixed ? dmin : floor(dmin / s->step) * s->step;
	s->hi = fixed ? dmax : ceil(dmax / s->step) * s->step;
	if (s->hi <= s->lo)
		s->hi = s->lo + s->step;
}

static void svg_esc(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		default:
			fputc(*s, f);
		}
	}
}

/* Text at (x, y); lines broken at '\n' go downwards, 1.2 em apart. */
static void svg_text(FILE *f, double x, double y, int size, const char *anchor,
		     const char *attrs, const char *s)
{
	const char *nl;
	bool first = true;

	fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"%d\" text-anchor=\"%s\"%s%s>",
		x, y, size, anchor, attrs ? " " : "", attrs ? attrs : "");
	if (!strchr(s, '\n')) {
		svg_esc(f, s);
	} else {
		for (;;) {
			char line[256];
			size_t n;

			nl = strchr(s, '\n');
			n = nl ? (size_t)(nl - s) : strlen(s);
			if (n >= sizeof(line))
				n = sizeof(line) - 1;
			memcpy(line, s, n);
			line[n] = '\0';
			fprintf(f, "<tspan x=\"%.1f\" dy=\"%s\">", x, first ? "0" : "1.2em");
			svg_esc(f, line);
			fputs("</tspan>", f);
			first = false;
			if (!nl)
				break;
			s = nl + 1;
		}
	}
	fputs("</text>\n", f);
}

/* 1500 -> "1.5k", 2e6 -> "2M", 0.25 -> "0.25", then the suffix. */
static void svg_fmt(char *buf, size_t n, double v, const char *suffix, bool short_form)
{
	double a = fabs(v);
	const char *unit = "";

	if (a >= 1e6) {
		v /= 1e6;
		unit = "M";
	} else if (a >= 1e3) {
		v /= 1e3;
		unit = "k";
	}
	snprintf(buf, n, short_form ? "%.3g%s%s" : "%g%s%s", v, unit, suffix ? suffix : "");
}

static const char *svg_dash(bool dashed)
{
	return dashed ? " stroke-dasharray=\"7 4\"" : "";
}

static void svg_extend(double *lo, double *hi, double v, bool log)
{
	if (!svg_usable(v, log))
		return;
	if (v < *lo)
		*lo = v;
	if (v > *hi)
		*hi = v;
}

static unsigned svg_clip_id;

/* The x pixel of point i of series s. */
static double svg_xpos(const struct svg_panel *p, const struct svg_scale *sx,
		       const struct svg_series *s, size_t i, double l, double r)
{
	if (!s->x) {
		size_t n = p->x.ncats ? p->x.ncats : s->n;

		return l + ((double)i + 0.5) * (r - l) / (double)n;
	}
	return svg_pos(sx, s->x[i]);
}

static void svg_ticks(FILE *f, const struct svg_scale *s, const struct svg_axis *a, bool yaxis,
		      double l, double r, double t, double b)
{
	double v, k, e;
	char buf[32];

	if (s->log) {
		bool fine = s->hi - s->lo <= 2.5;

		for (k = ceil(s->lo - 1e-9); k <= s->hi + 1e-9; k++) {
			static const double mult[] = { 1, 2, 5 };
			size_t m;

			for (m = 0; m < (fine ? 3u : 1u); m++) {
				e = k + log10(mult[m]);
				if (e < s->lo - 1e-9 || e > s->hi + 1e-9)
					continue;
				v = mult[m] * pow(10, k);
				svg_fmt(buf, sizeof(buf), v, a->suffix, false);
				if (yaxis) {
					double y = svg_pos(s, v);

					fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
						"stroke=\"#e2e2e2\"/>\n", l, y, r, y);
					svg_text(f, l - 6, y + 4, 11, "end", NULL, buf);
				} else {
					double x = svg_pos(s, v);

					fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
						"stroke=\"#e2e2e2\"/>\n", x, t, x, b);
					svg_text(f, x, b + 16, 11, "middle", NULL, buf);
				}
			}
		}
		return;
	}
	for (v = s->lo; v <= s->hi + s->step / 2; v += s->step) {
		double vv = fabs(v) < s->step * 1e-9 ? 0 : v;

		svg_fmt(buf, sizeof(buf), vv, a->suffix, false);
		if (yaxis) {
			double y = svg_pos(s, vv);

			fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
				"stroke=\"#e2e2e2\"/>\n", l, y, r, y);
			svg_text(f, l - 6, y + 4, 11, "end", NULL, buf);
		} else {
			double x = svg_pos(s, vv);

			fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
				"stroke=\"#e2e2e2\"/>\n", x, t, x, b);
			svg_text(f, x, b + 16, 11, "middle", NULL, buf);
		}
	}
}

static void svg_whisker(FILE *f, double x, double y0, double y1, const char *color)
{
	fprintf(f, "<path d=\"M%.1f %.1fV%.1fM%.1f %.1fh8M%.1f %.1fh8\" stroke=\"%s\" "
		"stroke-width=\"1.2\" fill=\"none\"/>\n",
		x, y0, y1, x - 4, y0, x - 4, y1, color);
}

static void svg_panel_draw(FILE *f, const struct svg_panel *p, double X, double Y,
			   double W, double H)
{
	struct svg_scale sx = { 0 }, sy = { 0 };
	double l = X + 74, r = X + W - 18, t = Y + 36, b = Y + H - 50;
	double xmin = INFINITY, xmax = -INFINITY, ymin = INFINITY, ymax = -INFINITY;
	unsigned clip = ++svg_clip_id;
	size_t i, j;
	char buf[64];

	for (i = 0; i < p->nseries; i++) {
		const struct svg_series *s = &p->series[i];

		for (j = 0; j < s->n; j++) {
			svg_extend(&ymin, &ymax, s->y[j], p->y.log);
			if (s->lo)
				svg_extend(&ymin, &ymax, s->lo[j], p->y.log);
			if (s->hi)
				svg_extend(&ymin, &ymax, s->hi[j], p->y.log);
			if (s->x)
				svg_extend(&xmin, &xmax, s->x[j], p->x.log);
		}
	}
	for (i = 0; i < p->nrefs; i++)
		svg_extend(&ymin, &ymax, p->refs[i].y, p->y.log);
	for (i = 0; i < p->nmarks; i++) {
		svg_extend(&ymin, &ymax, p->marks[i].y, p->y.log);
		svg_extend(&xmin, &xmax, p->marks[i].x, p->x.log);
	}
	svg_fit(&sy, &p->y, ymin, ymax);
	sy.p0 = b;
	sy.p1 = t;
	if (p->kind == SVG_LINES && !p->x.ncats) {
		svg_fit(&sx, &p->x, xmin, xmax);
		sx.p0 = l;
		sx.p1 = r;
	}

	if (p->title)
		svg_text(f, X + W / 2, Y + 20, 14, "middle", "font-weight=\"bold\"", p->title);
	fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#fcfcfc\" "
		"stroke=\"none\"/>\n", l, t, r - l, b - t);
	svg_ticks(f, &sy, &p->y, true, l, r, t, b);
	if (p->kind == SVG_LINES && !p->x.ncats) {
		svg_ticks(f, &sx, &p->x, false, l, r, t, b);
	} else {
		size_t n = p->x.ncats;

		for (i = 0; i < n; i++)
			svg_text(f, l + ((double)i + 0.5) * (r - l) / (double)n, b + 16, 11,
				 "middle", NULL, p->x.cats[i]);
	}
	fprintf(f, "<path d=\"M%.1f %.1fV%.1fH%.1f\" stroke=\"#444\" fill=\"none\"/>\n",
		l, t, b, r);
	if (p->x.label)
		svg_text(f, (l + r) / 2, b + 40, 12, "middle", NULL, p->x.label);
	if (p->y.label) {
		snprintf(buf, sizeof(buf), "transform=\"rotate(-90 %.1f %.1f)\"", X + 16, (t + b) / 2);
		svg_text(f, X + 16, (t + b) / 2, 12, "middle", buf, p->y.label);
	}

	fprintf(f, "<clipPath id=\"c%u\"><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
		"height=\"%.1f\"/></clipPath>\n<g clip-path=\"url(#c%u)\">\n",
		clip, l - 6, t - 6, r - l + 12, b - t + 12, clip);
	for (i = 0; i < p->nrefs; i++) {
		double y;

		if (!svg_usable(p->refs[i].y, sy.log))
			continue;
		y = svg_pos(&sy, p->refs[i].y);
		fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#555\" "
			"stroke-dasharray=\"2 3\"/>\n", l, y, r, y);
		if (p->refs[i].label)
			svg_text(f, l + 6, y - 5, 11, "start", SVG_HALO " fill=\"#333\"",
				 p->refs[i].label);
	}
	if (p->kind == SVG_BARS) {
		size_t n = p->x.ncats;
		double gw = (r - l) / (double)(n ? n : 1);
		double bw = gw * 0.8 / (double)(p->nseries ? p->nseries : 1);
		double base = sy.log ? b : svg_pos(&sy, 0);

		for (i = 0; i < p->nseries; i++) {
			const struct svg_series *s = &p->series[i];
			const char *c = svg_color(s->color);

			for (j = 0; j < s->n && j < n; j++) {
				double x = l + (double)j * gw + gw * 0.1 + (double)i * bw, y;

				if (!svg_usable(s->y[j], sy.log))
					continue;
				y = svg_pos(&sy, s->y[j]);
				fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
					"fill=\"%s\"%s/>\n", x + 1, y < base ? y : base, bw - 2,
					fabs(base - y), c,
					s->dashed ? " fill-opacity=\"0.45\" stroke-width=\"1.5\"" : "");
				if (s->dashed)
					fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
						"fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\"%s/>\n",
						x + 1, y < base ? y : base, bw - 2, fabs(base - y), c,
						svg_dash(true));
				if (s->lo && s->hi && svg_usable(s->lo[j], sy.log) &&
				    svg_usable(s->hi[j], sy.log))
					svg_whisker(f, x + bw / 2, svg_pos(&sy, s->lo[j]),
						    svg_pos(&sy, s->hi[j]), "#222");
				if (p->value_labels) {
					double top = s->hi && svg_usable(s->hi[j], sy.log) ?
						     svg_pos(&sy, s->hi[j]) : y;

					svg_fmt(buf, sizeof(buf), s->y[j], NULL, true);
					svg_text(f, x + bw / 2, (top < y ? top : y) - 4, 10, "middle",
						 NULL, buf);
				}
			}
		}
	} else {
		for (i = 0; i < p->nseries; i++) {
			const struct svg_series *s = &p->series[i];
			const char *c = svg_color(s->color);
			bool pen = false;

			fprintf(f, "<path d=\"");
			for (j = 0; j < s->n; j++) {
				if (!svg_usable(s->y[j], sy.log) ||
				    (s->x && !svg_usable(s->x[j], sx.log))) {
					pen = false;
					continue;
				}
				fprintf(f, "%c%.1f %.1f", pen ? 'L' : 'M',
					svg_xpos(p, &sx, s, j, l, r), svg_pos(&sy, s->y[j]));
				pen = true;
			}
			fprintf(f, "\" stroke=\"%s\" stroke-width=\"2\" fill=\"none\"%s/>\n", c,
				svg_dash(s->dashed));
			for (j = 0; j < s->n; j++) {
				double x, y;

				if (!svg_usable(s->y[j], sy.log) ||
				    (s->x && !svg_usable(s->x[j], sx.log)))
					continue;
				x = svg_xpos(p, &sx, s, j, l, r);
				y = svg_pos(&sy, s->y[j]);
				if (s->lo && s->hi && svg_usable(s->lo[j], sy.log) &&
				    svg_usable(s->hi[j], sy.log))
					svg_whisker(f, x, svg_pos(&sy, s->lo[j]),
						    svg_pos(&sy, s->hi[j]), c);
				fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>\n",
					x, y, s->dashed ? "#fff" : c);
				if (s->dashed)
					fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"none\" "
						"stroke=\"%s\" stroke-width=\"1.5\"/>\n", x, y, c);
			}
		}
	}
	for (i = 0; i < p->nmarks; i++) {
		const struct svg_mark *m = &p->marks[i];
		double x, y;

		if (!svg_usable(m->x, sx.log) || !svg_usable(m->y, sy.log) || p->x.ncats)
			continue;
		x = svg_pos(&sx, m->x);
		y = svg_pos(&sy, m->y);
		fprintf(f, "<path d=\"M%.1f %.1fl6 6l-6 6l-6 -6z\" fill=\"#fff\" stroke=\"%s\" "
			"stroke-width=\"2\"/>\n", x, y - 6, svg_color(m->color));
		/* Labels of neighbouring marks stacked above one another. */
		if (m->label)
		{
			char attrs[160];

			snprintf(attrs, sizeof(attrs), SVG_HALO " font-weight=\"bold\" fill=\"%s\"",
				 svg_color(m->color));
			/* Right of the diamond, or left of it in the right half. */
			bool right = x > (l + r) / 2;

			svg_text(f, right ? x - 6 : x + 6, y - 12 - 14 * (double)i, 11,
				 right ? "end" : "start", attrs, m->label);
		}
	}
	fputs("</g>\n", f);
}

/* text broken at spaces into lines of at most width pixels, into buf;
 * the number of lines (0 for no text). */
static int svg_wrap(const char *text, double width, int size, char *buf, size_t n)
{
	size_t chars = (size_t)(width / (SVG_CHAR_W * size)), line = 0, len = 0;
	int lines = 1;

	buf[0] = '\0';
	if (!text || !*text)
		return 0;
	while (*text && len + 2 < n) {
		size_t wl = strcspn(text, " ");

		if (line && line + 1 + wl > chars) {
			buf[len++] = '\n';
			lines++;
			line = 0;
		} else if (line) {
			buf[len++] = ' ';
			line++;
		}
		if (len + wl + 1 >= n)
			wl = n - len - 1;
		memcpy(buf + len, text, wl);
		len += wl;
		line += wl;
		text += wl;
		while (*text == ' ')
			text++;
	}
	buf[len] = '\0';
	return lines;
}

struct svg_legend_entry {
	const char *name;
	int color;
	bool dashed;
	bool bar;
};

static double svg_text_w(const char *s, int size)
{
	return (double)strlen(s) * SVG_CHAR_W * size;
}

int svg_write(const char *path, const struct svg_figure *fig)
{
	struct svg_legend_entry leg[64];
	char sub[1024], foot[1024];
	int sub_lines, foot_lines;
	size_t nleg = 0, i, j, k;
	int cols, rows, pw, ph, legend_rows = 0;
	double W, H, top, x, y, legend_y;
	FILE *f;
	int err = 0;

	pw = fig->panel_w ? fig->panel_w : SVG_DEF_W;
	ph = fig->panel_h ? fig->panel_h : SVG_DEF_H;
	cols = fig->cols > 0 ? fig->cols : (int)fig->npanels;
	if (cols < 1)
		cols = 1;
	rows = ((int)fig->npanels + cols - 1) / cols;
	W = cols * pw + 20;

	for (i = 0; i < fig->npanels; i++) {
		const struct svg_panel *p = &fig->panels[i];

		for (j = 0; j < p->nseries; j++) {
			const struct svg_series *s = &p->series[j];

			for (k = 0; k < nleg; k++)
				if (!strcmp(leg[k].name, s->name))
					break;
			if (k < nleg || nleg == sizeof(leg) / sizeof(leg[0]))
				continue;
			leg[nleg].name = s->name;
			leg[nleg].color = s->color;
			leg[nleg].dashed = s->dashed;
			leg[nleg].bar = p->kind == SVG_BARS;
			nleg++;
		}
	}
	/* Lay the legend out in rows that fit the width. */
	for (i = 0, x = W; i < nleg; i++) {
		double w = 44 + svg_text_w(leg[i].name, 12) + 22;

		if (x + w > W - 20) {
			legend_rows++;
			x = 20;
		}
		x += w;
	}

	sub_lines = svg_wrap(fig->subtitle, W - 40, 12, sub, sizeof(sub));
	foot_lines = svg_wrap(fig->footer, W - 24, 11, foot, sizeof(foot));
	top = 40 + 18 * sub_lines;
	legend_y = top + rows * ph + 8;
	H = legend_y + legend_rows * 22 + (foot_lines ? 14 + 14 * foot_lines : 6) + 4;

	f = fopen(path, "w");
	if (!f)
		return -errno;
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
		"viewBox=\"0 0 %.0f %.0f\" font-family=\"%s\">\n"
		"<rect width=\"100%%\" height=\"100%%\" fill=\"#ffffff\"/>\n",
		W, H, W, H, SVG_FONT);
	if (fig->title)
		svg_text(f, W / 2, 26, 18, "middle", "font-weight=\"bold\"", fig->title);
	if (sub_lines)
		svg_text(f, W / 2, 46, 12, "middle", "fill=\"#444\"", sub);
	for (i = 0; i < fig->npanels; i++)
		svg_panel_draw(f, &fig->panels[i], 10 + (double)(i % (size_t)cols) * pw,
			       top + (double)(i / (size_t)cols) * ph, pw, ph);

	for (i = 0, x = W, y = legend_y - 22; i < nleg; i++) {
		const struct svg_legend_entry *e = &leg[i];
		const char *c = svg_color(e->color);
		double w = 44 + svg_text_w(e->name, 12) + 22;

		if (x + w > W - 20) {
			y += 22;
			x = 20;
		}
		if (e->bar) {
			fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"30\" height=\"12\" fill=\"%s\"%s/>\n",
				x + 4, y + 5, c, e->dashed ? " fill-opacity=\"0.45\"" : "");
			if (e->dashed)
				fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"30\" height=\"12\" "
					"fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\"%s/>\n",
					x + 4, y + 5, c, svg_dash(true));
		} else {
			fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
				"stroke-width=\"2\"%s/>\n<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" "
				"fill=\"%s\" stroke=\"%s\" stroke-width=\"1.5\"/>\n",
				x + 2, y + 11, x + 38, y + 11, c, svg_dash(e->dashed), x + 20, y + 11,
				e->dashed ? "#fff" : c, c);
		}
		svg_text(f, x + 44, y + 15, 12, "start", NULL, e->name);
		x += w;
	}
	if (foot_lines)
		svg_text(f, 12, H - 10 - 13.2 * (foot_lines - 1), 11, "start", "fill=\"#555\"",
			 foot);
	fputs("</svg>\n", f);
	if (ferror(f))
		err = -EIO;
	if (fclose(f) && !err)
		err = -errno;
	return err;
}

#ifndef SVG_NO_MAIN
/* ==== the chart program ==== */

#include <stdarg.h>
#include <stdint.h>
#include <unistd.h>

struct row {
	char bench[16], layout[48], query[48], metric[48], unit[16];
	double median, p10, p90, min, max;
	int reps;
	char note[200];
};

static struct row *rows;
static size_t nrows, cap_rows;

/* The next field of a CSV line (RFC 4180 quoting) into buf; the rest. */
static const char *csv_field(const char *s, char *buf, size_t n)
{
	size_t k = 0;

	if (*s == '"') {
		for (s++; *s; s++) {
			if (*s == '"') {
				if (s[1] != '"') {
					s++;
					break;
				}
				s++;
			}
			if (k + 1 < n)
				buf[k++] = *s;
		}
	} else {
		for (; *s && *s != ',' && *s != '\n' && *s != '\r'; s++)
			if (k + 1 < n)
				buf[k++] = *s;
	}
	buf[k] = '\0';
	return *s == ',' ? s + 1 : s;
}

/* src into dst[size], cut to fit. */
static void copy_str(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);

	if (n >= size)
		n = size - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static double csv_num(const char *s)
{
	char *end;
	double v;

	if (!*s)
		return NAN;
	v = strtod(s, &end);
	return end == s ? NAN : v;
}

/* Append the rows of path; -errno when it cannot be read. */
static int load_csv(const char *path)
{
	char line[1024], f[14][200];
	FILE *fp = fopen(path, "r");
	bool header = true;

	if (!fp)
		return -errno;
	while (fgets(line, sizeof(line), fp)) {
		const char *s = line;
		struct row *r;
		int i;

		if (header) {		/* the column names */
			header = false;
			continue;
		}
		for (i = 0; i < 14; i++)
			s = csv_field(s, f[i], sizeof(f[i]));
		if (nrows == cap_rows) {
			size_t nc = cap_rows ? 2 * cap_rows : 512;
			struct row *nr = realloc(rows, nc * sizeof(*rows));

			if (!nr) {
				fclose(fp);
				return -ENOMEM;
			}
			rows = nr;
			cap_rows = nc;
		}
		r = &rows[nrows++];
		copy_str(r->bench, sizeof(r->bench), f[0]);
		copy_str(r->layout, sizeof(r->layout), f[1]);
		copy_str(r->query, sizeof(r->query), f[2]);
		copy_str(r->metric, sizeof(r->metric), f[3]);
		copy_str(r->unit, sizeof(r->unit), f[4]);
		r->median = csv_num(f[5]);
		r->p10 = csv_num(f[6]);
		r->p90 = csv_num(f[7]);
		r->min = csv_num(f[8]);
		r->max = csv_num(f[9]);
		r->reps = (int)csv_num(f[10]);
		copy_str(r->note, sizeof(r->note), f[13]);
	}
	fclose(fp);
	return 0;
}

static const struct row *find(const char *bench, const char *layout, const char *query,
			      const char *metric)
{
	size_t i;

	for (i = 0; i < nrows; i++)
		if (!strcmp(rows[i].bench, bench) && !strcmp(rows[i].layout, layout) &&
		    !strcmp(rows[i].query, query) && !strcmp(rows[i].metric, metric))
			return &rows[i];
	return NULL;
}

static const char *env_of(const char *bench, const char *metric)
{
	const struct row *r = find(bench, "env", "", metric);

	return r ? r->note : "";
}

/* The spread drawn: p10-p90 over 10 or more repetitions, else min-max. */
static double row_lo(const struct row *r)
{
	return r->reps >= 10 ? r->p10 : r->min;
}

static double row_hi(const struct row *r)
{
	return r->reps >= 10 ? r->p90 : r->max;
}

/* A series being filled: the arrays live here. */
#define MAXPTS 16
struct ser {
	double x[MAXPTS], y[MAXPTS], lo[MAXPTS], hi[MAXPTS];
	size_t n;
	bool any;
};

static void ser_put(struct ser *s, size_t i, double x, const struct row *r, double scale)
{
	if (i >= MAXPTS)
		return;
	s->x[i] = x;
	s->y[i] = r ? r->median * scale : NAN;
	s->lo[i] = r ? row_lo(r) * scale : NAN;
	s->hi[i] = r ? row_hi(r) * scale : NAN;
	if (i + 1 > s->n)
		s->n = i + 1;
	s->any |= r != NULL;
}

static struct svg_series mk_series(const char *name, const struct ser *s, bool numeric_x,
				   int color, bool dashed)
{
	struct svg_series v = {
		.name = name, .n = s->n, .x = numeric_x ? s->x : NULL, .y = s->y,
		.lo = s->lo, .hi = s->hi, .color = color, .dashed = dashed,
	};

	return v;
}

static char out_dir[512] = "build";
static char footer[320];
static int charts_written, charts_skipped;

static void chart_done(const char *file, const char *what, int err)
{
	if (err) {
		fprintf(stderr, "svg: %s/%s: %s\n", out_dir, file, strerror(-err));
		charts_skipped++;
		return;
	}
	charts_written++;
	printf("- %s: [%s](%s)\n", what, file, file);
}

static void chart_skip(const char *file, const char *why)
{
	charts_skipped++;
	printf("- %s: not drawn (%s)\n", file, why);
}

static int write_fig(const char *file, const struct svg_figure *fig)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/%s", out_dir, file);
	return svg_write(path, fig);
}

/* ---- 1. scan cost per page against the written fraction ---- */

static void chart_scan(void)
{
	static const char *const layouts[] = { "populated", "sparse", "thp" };
	static const char *const titles[] = {
		"populated", "never touched before arming (sparse)", "THP: PMD-mapped until written",
	};
	static const char *const fr[] = { "0%", "1%", "50%", "100%" };
	static const struct {
		const char *key, *name;
		int color;
		bool dashed;
	} sides[] = {
		{ "pagemap_read", "pagemap read + decode", 0, false },
		{ "scan_get", "PAGEMAP_SCAN get (WRITTEN)", 1, false },
		{ "pw_native", "pw_scan native", 1, true },
		{ "pw_emulated", "pw_scan emulated", 2, false },
		{ "scan_get_protect", "PAGEMAP_SCAN get+protect (WP_MATCHING)", 3, false },
	};
	static struct ser data[3][5];
	struct svg_series series[3][5];
	struct svg_panel panels[3];
	struct svg_figure fig = { 0 };
	size_t l, s, f;
	char sub[200], layout[32];
	const struct row *any = NULL;

	for (l = 0; l < 3; l++) {
		snprintf(layout, sizeof(layout), "scan-%s", layouts[l]);
		for (s = 0; s < 5; s++) {
			for (f = 0; f < 4; f++) {
				const struct row *r = find("cost", layout, fr[f], sides[s].key);

				ser_put(&data[l][s], f, (double)f, r, 1);
				any = r ? r : any;
			}
			series[l][s] = mk_series(sides[s].name, &data[l][s], false, sides[s].color,
						 sides[s].dashed);
		}
		panels[l] = (struct svg_panel){
			.title = titles[l], .kind = SVG_LINES,
			.x = { .label = "pages written since the last arm", .cats = fr, .ncats = 4 },
			.y = { .label = "ns per page of the range", .log = true },
			.series = series[l], .nseries = 5,
		};
	}
	if (!any) {
		chart_skip("bench-scan.svg", "no scan rows in cost_bench's CSV");
		return;
	}
	snprintf(sub, sizeof(sub), "%s registered for uffd-wp async and protected, then "
		 "written (1%%: every 100th page; 50%%: every other page); median, whiskers "
		 "p10-p90", strstr(any->note, "pages=32768") ? "128 MiB" : "a range");
	fig.title = "Scan cost per page against the written fraction";
	fig.subtitle = sub;
	fig.footer = footer;
	fig.panels = panels;
	fig.npanels = 3;
	fig.panel_w = 440;
	fig.panel_h = 340;
	chart_done("bench-scan.svg", "scan cost per page against the written fraction",
		   write_fig("bench-scan.svg", &fig));
}

/* ---- 2. the first write after arming, per backend ---- */

static void chart_fault(bool have_watch)
{
	static const char *const be[] = { "uffd-async", "uffd-sync", "mprotect" };
	static const char *const cats[] = { "uffd-async", "uffd-sync", "mprotect" };
	/* The anchors of shared/docs/pagemap-scan-semantics.md, in µs. */
	static const double doc618[] = { 0.8, 4.5, 3.5 };
	static const double laptop[] = { NAN, 4.7, 1.9 };
	static const double emulator[] = { 0.25, NAN, 70 };
	static struct ser bare, pw, d, lp, em;
	struct svg_series series[5];
	struct svg_panel panel;
	struct svg_figure fig = { 0 };
	const char *source = NULL;
	size_t i;
	char sub[240];

	for (i = 0; i < 3; i++) {
		char q[48];
		const struct row *rb = NULL, *rp = NULL;

		if (have_watch) {
			snprintf(q, sizeof(q), "bare-%s", be[i]);
			rb = find("watch", "first-write", q, "ns/write");
			snprintf(q, sizeof(q), "pw-%s", be[i]);
			rp = find("watch", "first-write", q, "ns/write");
		}
		if (rb || rp) {
			source = "watch_bench (first write after a reset, every other page)";
		} else {
			rb = find("cost", "fault", be[i], "bare");
			rp = find("cost", "fault", be[i], "pw");
			if ((rb || rp) && !source)
				source = "cost_bench's quick version (the write phase of its cycles, "
					 "every page written)";
		}
		ser_put(&bare, i, (double)i, rb, 1e-3);
		ser_put(&pw, i, (double)i, rp, 1e-3);
		d.x[i] = lp.x[i] = em.x[i] = (double)i;
		d.y[i] = doc618[i];
		lp.y[i] = laptop[i];
		em.y[i] = emulator[i];
	}
	if (!bare.any && !pw.any) {
		chart_skip("bench-fault.svg", "no first-write figures in either CSV");
		return;
	}
	d.n = lp.n = em.n = 3;
	series[0] = mk_series("bare mechanism, this VM", &bare, false, 0, false);
	series[1] = mk_series("pw_watch, this VM", &pw, false, 1, false);
	series[2] = (struct svg_series){ .name = "semantics doc, 6.18 dev VM (1 thread)", .n = 3,
					 .y = d.y, .color = 7, .dashed = true };
	series[3] = (struct svg_series){ .name = "published: a laptop CPU", .n = 3, .y = lp.y,
					 .color = 4, .dashed = true };
	series[4] = (struct svg_series){ .name = "published: a Windows-API emulator, 8 threads",
					 .n = 3, .y = em.y, .color = 3, .dashed = true };
	panel = (struct svg_panel){
		.title = NULL, .kind = SVG_BARS,
		.x = { .label = "write-watch backend", .cats = cats, .ncats = 3 },
		.y = { .label = "µs per first write after arming", .log = true },
		.series = series, .nseries = 5, .value_labels = true,
	};
	snprintf(sub, sizeof(sub), "this run: %s; median, whiskers p10-p90 (min-max under 10 "
		 "repetitions); outlined bars: published anchors", source);
	fig.title = "Fault cost: the first write to a page after arming";
	fig.subtitle = sub;
	fig.footer = footer;
	fig.panels = &panel;
	fig.npanels = 1;
	fig.panel_w = 900;
	fig.panel_h = 380;
	chart_done("bench-fault.svg", "fault cost per backend", write_fig("bench-fault.svg", &fig));
}

/* ---- 3. the full cycle against the region size ---- */

static const char *const trk_key[6] = {
	"uffd-async/bare", "uffd-async/pw", "uffd-sync/bare", "uffd-sync/pw",
	"mprotect/bare", "mprotect/pw",
};
static const char *const trk_name[6] = {
	"uffd-async, bare", "uffd-async, pw_watch", "uffd-sync, bare", "uffd-sync, pw_watch",
	"mprotect, bare", "mprotect, pw_watch",
};

static void chart_cycle(void)
{
	static const char *const sizes[] = { "1", "10", "100", "1000", "10000", "100000",
					     "1000000" };
	static const char *const layouts[] = { "cycle", "cycle-collect" };
	static struct ser data[2][6];
	struct svg_series series[2][6];
	struct svg_mark marks[2];
	struct svg_panel panels[2];
	struct svg_figure fig = { 0 };
	size_t p, t, i, nm = 0;
	bool any = false;

	for (p = 0; p < 2; p++) {
		for (t = 0; t < 6; t++) {
			for (i = 0; i < 7; i++) {
				const struct row *r = find("cost", layouts[p], sizes[i], trk_key[t]);
				const char *e = r ? strstr(r->note, "enomem=") : NULL;

				ser_put(&data[p][t], i, strtod(sizes[i], NULL), r, 1);
				/* The first size where mprotect fell back to the whole
				 * watch (cost_bench notes it): marked. */
				if (!p && e && atol(e + 7) > 0 && !nm)
					marks[nm++] = (struct svg_mark){
						.x = strtod(sizes[i], NULL), .y = r->median,
						.label = "ENOMEM: whole-watch fallback", .color = (int)t / 2,
					};
			}
			any |= data[p][t].any;
			series[p][t] = mk_series(trk_name[t], &data[p][t], true, (int)t / 2, !(t % 2));
		}
		panels[p] = (struct svg_panel){
			.title = p ? "collect and re-arm only" : "whole cycle: write, collect, re-arm",
			.kind = SVG_LINES,
			.x = { .label = "region size (pages of 4 KiB)", .log = true },
			.y = { .label = "ns per page per cycle", .log = true },
			.series = series[p], .nseries = 6, .marks = p ? NULL : marks,
			.nmarks = p ? 0 : nm,
		};
	}
	if (!any) {
		chart_skip("bench-cycle.svg", "no cycle rows in cost_bench's CSV");
		return;
	}
	fig.title = "Full cycle cost per page against the region size";
	fig.subtitle = "every page written once per cycle, then collected and armed again "
		       "(pw_watch_get with PW_WATCH_RESET, or the bare equivalent); missing "
		       "points: skipped to cap the run time; median, whiskers p10-p90 / min-max";
	fig.footer = footer;
	fig.panels = panels;
	fig.npanels = 2;
	fig.panel_w = 560;
	fig.panel_h = 380;
	chart_done("bench-cycle.svg", "full cycle cost per page against the region size",
		   write_fig("bench-cycle.svg", &fig));
}

/* ---- 4. tracking against copying; 5. restore against memcpy ---- */

/* The fractions of the track rows, ascending, as their query strings. */
static size_t track_fractions(char q[][16], double *x, size_t max)
{
	size_t i, j, n = 0;

	for (i = 0; i < nrows && n < max; i++) {
		if (strcmp(rows[i].bench, "cost") || strcmp(rows[i].layout, "track") ||
		    strcmp(rows[i].metric, "copy_all"))
			continue;
		copy_str(q[n], 16, rows[i].query);
		x[n++] = strtod(rows[i].query, NULL);
	}
	for (i = 1; i < n; i++)		/* insertion sort, a handful */
		for (j = i; j > 0 && x[j] < x[j - 1]; j--) {
			char tq[16];
			double tx = x[j];

			x[j] = x[j - 1];
			x[j - 1] = tx;
			memcpy(tq, q[j], 16);
			memcpy(q[j], q[j - 1], 16);
			memcpy(q[j - 1], tq, 16);
		}
	return n;
}

static void chart_breakeven(void)
{
	static struct ser data[2][5];
	static char labels[6][32];
	struct svg_series series[2][5];
	struct svg_mark marks[2][3];
	struct svg_panel panels[2];
	struct svg_figure fig = { 0 };
	char q[MAXPTS][16];
	double x[MAXPTS], copy_all = NAN;
	size_t n = track_fractions(q, x, MAXPTS), p, k, i, nm[2] = { 0, 0 };
	static const char *const names[3] = {
		"track + copy written: uffd-async", "track + copy written: uffd-sync",
		"track + copy written: mprotect",
	};

	if (!n) {
		chart_skip("bench-breakeven.svg", "no track rows in cost_bench's CSV");
		return;
	}
	if (n > MAXPTS)		/* it never is; said so for the compiler */
		n = MAXPTS;
	for (p = 0; p < 2; p++) {
		struct ser *all = &data[p][3], *cw = &data[p][4];

		for (i = 0; i < n; i++) {
			const struct row *ra = find("cost", "track", q[i], "copy_all");
			const struct row *rc = find("cost", "track", q[i], "copy_written");
			const struct row *rp = find("cost", "track", q[i], "plain_write");

			ser_put(all, i, x[i], ra, 1);
			ser_put(cw, i, x[i], rc, 1);
			if (ra && p == 0 && i == n - 1)
				copy_all = ra->median;
			for (k = 0; k < 3; k++) {
				const struct row *rt = find("cost", "track", q[i], trk_key[2 * k + !p]);
				struct ser *s = &data[p][k];

				/* cycle - plain writes + copy of the written pages */
				ser_put(s, i, x[i], rt, 1);
				if (rt && rp && rc) {
					double add = rc->median - rp->median;

					s->y[i] += add;
					s->lo[i] += add;
					s->hi[i] += add;
				}
			}
		}
		for (k = 0; k < 3; k++)
			series[p][k] = mk_series(names[k], &data[p][k], true, (int)k, !!p);
		series[p][3] = mk_series("copy everything (one memcpy)", all, true, 6, false);
		series[p][4] = mk_series("copy only the written pages (no tracking cost)", cw, true,
					 7, true);
		for (k = 0; k < 3; k++) {
			const struct row *b = find("cost", "breakeven", "track-and-copy",
						   trk_key[2 * k + !p]);

			if (!b || !isfinite(b->median) || b->median <= 0 || !isfinite(copy_all))
				continue;
			snprintf(labels[p * 3 + k], sizeof(labels[0]), "%.2g%%", b->median);
			marks[p][nm[p]++] = (struct svg_mark){ .x = b->median, .y = copy_all,
							       .label = labels[p * 3 + k],
							       .color = (int)k };
		}
		panels[p] = (struct svg_panel){
			.title = p ? "bare kernel mechanisms" : "through pw_watch_*",
			.kind = SVG_LINES,
			.x = { .label = "pages of the range written (%)", .log = true, .suffix = "%" },
			.y = { .label = "ns per page of the range", .log = true },
			.series = series[p], .nseries = 5, .marks = marks[p], .nmarks = nm[p],
		};
	}
	fig.title = "Tracking against copying: where copying everything wins";
	fig.subtitle = "track the writes, then copy only the written pages, against one memcpy of "
		       "the whole range; diamonds: the break-even written fraction; median, "
		       "whiskers min-max";
	fig.footer = footer;
	fig.panels = panels;
	fig.npanels = 2;
	fig.panel_w = 560;
	fig.panel_h = 400;
	chart_done("bench-breakeven.svg", "tracking against copying, break-even",
		   write_fig("bench-breakeven.svg", &fig));
}

static void chart_restore(void)
{
	static const char *const be[] = { "uffd-async", "uffd-sync", "mprotect" };
	static struct ser data[3];
	static char labels[3][32];
	struct svg_series series[3];
	struct svg_mark marks[3];
	struct svg_ref ref = { .y = 1, .label = "= one memcpy of the whole range" };
	struct svg_panel panel;
	struct svg_figure fig = { 0 };
	char q[MAXPTS][16];
	double x[MAXPTS];
	size_t n = track_fractions(q, x, MAXPTS), k, i, nm = 0;

	for (k = 0; k < 3; k++) {
		const struct row *b = find("cost", "breakeven", "restore", be[k]);

		for (i = 0; i < n; i++)
			ser_put(&data[k], i, x[i], find("cost", "restore/copy-all", q[i], be[k]), 1);
		series[k] = mk_series(be[k], &data[k], true, (int)k, false);
		if (b && isfinite(b->median) && b->median > 0) {
			snprintf(labels[k], sizeof(labels[k]), "%.2g%%", b->median);
			marks[nm++] = (struct svg_mark){ .x = b->median, .y = 1, .label = labels[k],
							 .color = (int)k };
		}
	}
	if (!n || (!data[0].any && !data[1].any && !data[2].any)) {
		chart_skip("bench-restore.svg", "no restore rows in cost_bench's CSV");
		return;
	}
	panel = (struct svg_panel){
		.kind = SVG_LINES,
		.x = { .label = "pages of the range written (%)", .log = true, .suffix = "%" },
		.y = { .label = "pw_snapshot_restore / memcpy of the whole range", .log = true },
		.series = series, .nseries = 3, .refs = &ref, .nrefs = 1, .marks = marks,
		.nmarks = nm,
	};
	fig.title = "Snapshot restore against a full memcpy";
	fig.subtitle = "pw_snapshot_restore copies back only the written pages and re-arms them; "
		       "below 1 it beats copying everything; median of paired ratios, whiskers "
		       "min-max";
	fig.footer = footer;
	fig.panels = &panel;
	fig.npanels = 1;
	fig.panel_w = 760;
	fig.panel_h = 400;
	chart_done("bench-restore.svg", "snapshot restore against a full memcpy",
		   write_fig("bench-restore.svg", &fig));
}

/* ---- 6. arm cost per page ---- */

static void chart_arm(void)
{
	static const char *const keys[] = {
		"mprotect", "uffdio_writeprotect", "scan_protect", "clear_refs",
		"pw_reset/uffd-async", "pw_reset/uffd-sync", "pw_reset/mprotect",
		"pw_start/uffd-async", "pw_start/uffd-sync", "pw_start/mprotect",
	};
	static const char *const cats[] = {
		"mprotect\n(PROT_READ)", "UFFDIO_\nWRITEPROTECT", "PAGEMAP_SCAN\nprotect",
		"clear_refs 4\n(no-op here)", "pw_watch_reset\nuffd-async", "pw_watch_reset\nuffd-sync",
		"pw_watch_reset\nmprotect", "pw_watch_start\nuffd-async", "pw_watch_start\nuffd-sync",
		"pw_watch_start\nmprotect",
	};
	static struct ser pop, fresh;
	struct svg_series series[2];
	struct svg_panel panel;
	struct svg_figure fig = { 0 };
	char q[16] = "", sub[200];
	size_t i;

	for (i = 0; i < nrows; i++)
		if (!strcmp(rows[i].bench, "cost") && !strcmp(rows[i].layout, "arm-populated")) {
			copy_str(q, sizeof(q), rows[i].query);
			break;
		}
	for (i = 0; i < 10; i++) {
		ser_put(&pop, i, (double)i, find("cost", "arm-populated", q, keys[i]), 1);
		ser_put(&fresh, i, (double)i, find("cost", "arm-untouched", q, keys[i]), 1);
	}
	if (!pop.any) {
		chart_skip("bench-arm.svg", "no arm rows in cost_bench's CSV");
		return;
	}
	series[0] = mk_series("populated, every page written since the last arm", &pop, false, 0,
			      false);
	series[1] = mk_series("never touched (a fresh mapping)", &fresh, false, 1, false);
	panel = (struct svg_panel){
		.kind = SVG_BARS,
		.x = { .cats = cats, .ncats = 10 },
		.y = { .label = "ns per page of the range", .log = true },
		.series = series, .nseries = 2, .value_labels = true,
	};
	snprintf(sub, sizeof(sub), "the bare kernel calls (left) and pagewatch's (right), on "
		 "a range of %s pages; clear_refs works on the whole process, not the range; "
		 "median, whiskers p10-p90", q);
	fig.title = "Arm cost per page: protecting a range before tracking it";
	fig.subtitle = sub;
	fig.footer = footer;
	fig.panels = &panel;
	fig.npanels = 1;
	fig.panel_w = 1180;
	fig.panel_h = 400;
	chart_done("bench-arm.svg", "arm cost per page", write_fig("bench-arm.svg", &fig));
}

/* ---- --smoke: every kind of chart from made-up data ---- */

static int smoke(void)
{
	static const char *const cats[] = { "a", "b\ntwo lines", "c" };
	static const double x[] = { 1, 10, 100, 1000 }, y1[] = { 5, 3, 2, 1.5 },
			    y2[] = { 50, NAN, 20, 10 }, lo[] = { 4, 2.5, 1.5, 1 },
			    hi[] = { 6, 4, 3, 2 };
	struct svg_series s[2] = {
		{ .name = "one", .n = 4, .x = x, .y = y1, .lo = lo, .hi = hi, .color = 0 },
		{ .name = "two & <more>", .n = 4, .x = x, .y = y2, .color = 1, .dashed = true },
	};
	struct svg_series b[2] = {
		{ .name = "bars", .n = 3, .y = y1, .lo = lo, .hi = hi, .color = 2 },
		{ .name = "outlined", .n = 3, .y = y2, .color = 3, .dashed = true },
	};
	struct svg_ref ref = { .y = 2, .label = "reference" };
	struct svg_mark mark = { .x = 30, .y = 2, .label = "mark", .color = 1 };
	struct svg_panel p[3] = {
		{ .title = "log-log", .x = { .label = "x", .log = true }, .y = { .label = "y",
		  .log = true }, .series = s, .nseries = 2, .refs = &ref, .nrefs = 1,
		  .marks = &mark, .nmarks = 1 },
		{ .title = "linear", .x = { .label = "x" }, .y = { .label = "y" }, .series = s,
		  .nseries = 1 },
		{ .title = "bars", .kind = SVG_BARS, .x = { .cats = cats, .ncats = 3 },
		  .y = { .label = "y", .log = true }, .series = b, .nseries = 2,
		  .value_labels = true },
	};
	struct svg_figure fig = { .title = "smoke", .subtitle = "made-up data",
				  .footer = "svg --smoke", .panels = p, .npanels = 3, .cols = 2 };
	char dir[] = "/tmp/pw-svg-smoke-XXXXXX", path[64];
	FILE *f;
	long size = 0;
	int err;

	if (!mkdtemp(dir))
		return -errno;
	snprintf(path, sizeof(path), "%s/smoke.svg", dir);
	err = svg_write(path, &fig);
	f = err ? NULL : fopen(path, "r");
	if (f) {
		fseek(f, 0, SEEK_END);
		size = ftell(f);
		fclose(f);
	}
	unlink(path);
	rmdir(dir);
	if (err)
		return err;
	printf("svg --smoke: wrote and removed a %ld-byte chart\n", size);
	return size > 1000 ? 0 : -EIO;
}

static int usage(const char *argv0, int rc)
{
	fprintf(rc ? stderr : stdout,
		"usage: %s [--smoke] [--out DIR] [--cost CSV] [--watch CSV]\n"
		"Draws the benchmark charts (SVG) from cost_bench's and watch_bench's CSV files;\n"
		"a Markdown list of them on stdout.\n", argv0);
	return rc;
}

int main(int argc, char **argv)
{
	const char *cost = "build/bench-cost.csv", *watch = "build/bench-watch.csv";
	bool have_watch;
	int i, r;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--smoke")) {
			r = smoke();
			if (r)
				fprintf(stderr, "svg --smoke: %s\n", strerror(-r));
			return r ? 1 : 0;
		} else if (!strcmp(argv[i], "--out") && i + 1 < argc) {
			copy_str(out_dir, sizeof(out_dir), argv[++i]);
		} else if (!strcmp(argv[i], "--cost") && i + 1 < argc) {
			cost = argv[++i];
		} else if (!strcmp(argv[i], "--watch") && i + 1 < argc) {
			watch = argv[++i];
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			return usage(argv[0], 0);
		} else {
			return usage(argv[0], 2);
		}
	}
	r = load_csv(cost);
	if (r) {
		printf("No charts: %s: %s (run cost_bench --csv %s first).\n", cost, strerror(-r),
		       cost);
		return 0;
	}
	have_watch = !load_csv(watch);
	snprintf(footer, sizeof(footer), "cost_bench %s: %s, %s vCPUs %s, Linux %s, THP %s. "
		 "Every figure from this machine.%s", env_of("cost", "date"),
		 !strcmp(env_of("cost", "vm"), "yes") ? "virtual machine" : "bare metal",
		 env_of("cost", "cpus"), env_of("cost", "cpu"), env_of("cost", "kernel"),
		 env_of("cost", "thp"),
		 !strcmp(env_of("cost", "smoke"), "yes") ? " --smoke: tiny sizes, not for citing." : "");
	printf("## Charts\n\nDrawn by bench/svg.c from %s%s%s.\n\n", cost,
	       have_watch ? " and " : "", have_watch ? watch : "");
	chart_scan();
	chart_arm();
	chart_fault(have_watch);
	chart_cycle();
	chart_breakeven();
	chart_restore();
	printf("\n");
	fprintf(stderr, "svg: %d charts in %s, %d not drawn\n", charts_written, out_dir,
		charts_skipped);
	return 0;
}
#endif /* SVG_NO_MAIN */
