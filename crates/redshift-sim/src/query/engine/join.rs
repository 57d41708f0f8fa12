//! Joins of the query engine: FROM planning (filters pushed into the scans, unreferenced columns
//! dropped, inner joins ordered smallest-first along their equality keys) and the hash / nested-loop
//! join itself. Results are the same as joining left to right and filtering afterwards.

use std::cmp::Ordering;
use std::collections::HashSet;

use sqlparser::ast as sp;

use super::{
    Bindings, Col, Ctes, Engine, IntMap, QueryWalk, Rel, Scope, contains_aggregate, ident,
    name_parts, walk,
};
use crate::error::SqlError;
use crate::exec::Value;

impl Engine<'_> {
    pub(super) fn join_tree(
        &self,
        twj: &sp::TableWithJoins,
        outer: Option<&Scope<'_>>,
        ctes: &Ctes,
    ) -> Result<Rel, SqlError> {
        let mut left = self.table_factor(&twj.relation, outer, ctes, None)?;
        for j in &twj.joins {
            let right = self.table_factor(&j.relation, outer, ctes, None)?;
            let (kind, constraint) = join_kind(&j.join_operator)?;
            left = self.join(left, right, kind, JoinOn::new(constraint)?, outer, ctes)?;
        }
        Ok(left)
    }

    /// Finds `l = r` in the ON condition with one side in each input (for a hash join).
    fn equi_key(&self, on: &sp::Expr, left: &[Col], right: &[Col]) -> Option<(usize, usize)> {
        match on {
            sp::Expr::BinaryOp { left: a, op: sp::BinaryOperator::And, right: b } => {
                self.equi_key(a, left, right).or_else(|| self.equi_key(b, left, right))
            }
            sp::Expr::Nested(inner) => self.equi_key(inner, left, right),
            sp::Expr::BinaryOp { left: a, op: sp::BinaryOperator::Eq, right: b } => {
                let pos = |e: &sp::Expr, cols: &[Col]| -> Option<usize> {
                    let (q, n) = match e {
                        sp::Expr::Identifier(i) => (None, ident(i)),
                        sp::Expr::CompoundIdentifier(p) if p.len() == 2 => {
                            (Some(ident(&p[0])), ident(&p[1]))
                        }
                        _ => return None,
                    };
                    let mut hits = cols.iter().enumerate().filter(|(_, c)| {
                        c.name == n && q.as_ref().is_none_or(|q| c.qual.as_ref() == Some(q))
                    });
                    let first = hits.next()?.0;
                    hits.next().is_none().then_some(first)
                };
                let only = |e: &sp::Expr, mine: &[Col], other: &[Col]| {
                    pos(e, mine).filter(|_| pos(e, other).is_none())
                };
                match (only(a, left, right), only(b, right, left)) {
                    (Some(l), Some(r)) => Some((l, r)),
                    _ => match (only(b, left, right), only(a, right, left)) {
                        (Some(l), Some(r)) => Some((l, r)),
                        _ => None,
                    },
                }
            }
            _ => None,
        }
    }

    fn join(
        &self,
        left: Rel,
        right: Rel,
        kind: char,
        join_on: JoinOn<'_>,
        outer: Option<&Scope<'_>>,
        ctes: &Ctes,
    ) -> Result<Rel, SqlError> {
        let mut cols = left.cols.clone();
        cols.extend(right.cols.iter().cloned());
        let (on, using): (Vec<&sp::Expr>, Vec<String>) = match join_on {
            JoinOn::On(on) => (on, Vec::new()),
            JoinOn::Using(names) => (Vec::new(), names),
            JoinOn::Natural => (
                Vec::new(),
                left.cols
                    .iter()
                    .filter(|c| right.cols.iter().any(|r| r.name == c.name))
                    .map(|c| c.name.clone())
                    .collect(),
            ),
        };
        let using_pairs: Vec<(usize, usize)> = using
            .iter()
            .map(|n| {
                let l = left.cols.iter().position(|c| &c.name == n);
                let r = right.cols.iter().position(|c| &c.name == n);
                l.zip(r).ok_or_else(|| {
                    SqlError::new(
                        "42703",
                        format!("column \"{n}\" specified in USING clause does not exist"),
                    )
                })
            })
            .collect::<Result<_, _>>()?;
        if left.rows.is_empty() && kind != 'r' && kind != 'f' {
            // Nothing to join (e.g. a filter left no row): no index over the other side.
            return Ok(Rel { cols, rows: Vec::new() });
        }
        let key = match using_pairs.first() {
            None => on.iter().find_map(|e| self.equi_key(e, &left.cols, &right.cols)),
            Some(p) => Some(*p),
        };
        // An ON that is nothing but the hashed equality needs no re-evaluation per pair.
        let mut bare = match on.as_slice() {
            [e] => Some(*e),
            _ => None,
        };
        while let Some(sp::Expr::Nested(inner)) = bare {
            bare = Some(inner);
        }
        let on_is_key = key.is_some()
            && matches!(bare, Some(sp::Expr::BinaryOp { op: sp::BinaryOperator::Eq, .. }));
        // The hash index over the right rows: the first row of each key, then a chain of the
        // next row with the same key (ascending row order; no list allocated per key).
        const END: usize = usize::MAX;
        let index: Option<(IntMap<KeyHash, usize>, Vec<usize>)> = key.map(|(_, r)| {
            let mut first: IntMap<KeyHash, usize> = IntMap::default();
            first.reserve(right.rows.len());
            let mut next = vec![END; right.rows.len()];
            for (i, row) in right.rows.iter().enumerate().rev() {
                if let Some(k) = join_key(&row[r])
                    && let Some(head) = first.insert(k.hash(), i)
                {
                    next[i] = head;
                }
            }
            (first, next)
        });
        let on_bindings =
            (!on.is_empty() && !on_is_key).then(|| Bindings::new(self, &cols, on.iter().copied()));
        let all_right: Vec<usize> =
            if index.is_some() { Vec::new() } else { (0..right.rows.len()).collect() };
        let mut right_matched = vec![false; right.rows.len()];
        let mut rows = Vec::with_capacity(left.rows.len());
        let left_width = left.cols.len();
        let width = cols.len();
        let mut chain: Vec<usize> = Vec::new();
        for mut lrow in left.rows {
            let candidates: &[usize] = match (&index, key) {
                (Some((first, next)), Some((l, _))) => {
                    chain.clear();
                    if let Some(k) = join_key(&lrow[l]) {
                        let mut at = first.get(&k.hash()).copied().unwrap_or(END);
                        while at != END {
                            chain.push(at);
                            at = next[at];
                        }
                    }
                    &chain
                }
                _ => &all_right,
            };
            let mut matched = false;
            for (j, &ri) in candidates.iter().enumerate() {
                let rrow = &right.rows[ri];
                if let Some((l, r)) = key
                    && matches!(join_key(&lrow[l]), Some(Key::Text(_)))
                    && join_key(&lrow[l]) != join_key(&rrow[r])
                {
                    continue; // a hash collision
                }
                let mut row = if on_is_key && j + 1 == candidates.len() {
                    // The last match of a key-only join extends the left row itself (rows are
                    // allocated with room for every factor of the FROM, see `plan_from`).
                    std::mem::take(&mut lrow)
                } else {
                    let mut row = Vec::with_capacity(width.max(lrow.capacity()));
                    row.extend_from_slice(&lrow);
                    row
                };
                row.extend_from_slice(rrow);
                let ok = if on_is_key {
                    true
                } else if !on.is_empty() {
                    let sc = Scope {
                        cols: &cols,
                        row: &row,
                        group: None,
                        parent: outer,
                        aliases: None,
                        bound: on_bindings.as_ref(),
                    };
                    self.all_true(&on, &sc, ctes)?
                } else {
                    using_pairs.iter().all(|(l, r)| {
                        row[*l].compare(&row[left_width + *r]) == Some(Ordering::Equal)
                    })
                };
                if ok {
                    matched = true;
                    right_matched[ri] = true;
                    rows.push(row);
                }
            }
            if !matched && (kind == 'l' || kind == 'f') {
                lrow.reserve_exact(right.cols.len());
                lrow.extend(std::iter::repeat_n(Value::Null, right.cols.len()));
                rows.push(lrow);
            }
        }
        if kind == 'r' || kind == 'f' {
            for (ri, rrow) in right.rows.iter().enumerate() {
                if !right_matched[ri] {
                    let mut row = vec![Value::Null; left_width];
                    row.extend(rrow.iter().cloned());
                    rows.push(row);
                }
            }
        }
        Ok(Rel { cols, rows })
    }
}

/// How a join matches rows: ON conditions that must all be true (none: every pair), or equal
/// USING / NATURAL columns. Conditions are borrowed from the statement, never copied.
enum JoinOn<'q> {
    On(Vec<&'q sp::Expr>),
    Using(Vec<String>),
    Natural,
}

impl<'q> JoinOn<'q> {
    fn new(constraint: &'q sp::JoinConstraint) -> Result<Self, SqlError> {
        Ok(match constraint {
            sp::JoinConstraint::None => JoinOn::On(Vec::new()),
            sp::JoinConstraint::On(e) => JoinOn::On(vec![e]),
            sp::JoinConstraint::Using(names) => JoinOn::Using(
                names
                    .iter()
                    .map(|n| name_parts(n).map(|p| p.last().cloned().unwrap_or_default()))
                    .collect::<Result<_, _>>()?,
            ),
            sp::JoinConstraint::Natural => JoinOn::Natural,
        })
    }
}

/// (Named by what is supported: formatting the join operator would link sqlparser's `Debug` for
/// its whole syntax tree into the app.)
const UNSUPPORTED_JOIN: &str = "joins other than INNER / LEFT / RIGHT / FULL / CROSS";

/// A hash-join key: equal keys ⇔ equal text renderings (so `1`, `1.0` and `'1'` meet), without
/// rendering integers.
#[derive(Debug, PartialEq, Eq, Hash)]
enum Key<'a> {
    Int(i64),
    Text(std::borrow::Cow<'a, str>),
}

/// A hash of a join key that borrows nothing (the index is probed with keys of other rows; a
/// match is confirmed on the keys themselves).
#[derive(Debug, PartialEq, Eq, Hash, Clone, Copy)]
enum KeyHash {
    Int(i64),
    Text(u64),
}

impl Key<'_> {
    fn hash(&self) -> KeyHash {
        use std::hash::{Hash, Hasher};
        match self {
            Key::Int(i) => KeyHash::Int(*i),
            Key::Text(t) => {
                let mut h = std::collections::hash_map::DefaultHasher::new();
                t.hash(&mut h);
                KeyHash::Text(h.finish())
            }
        }
    }
}

fn join_key(v: &Value) -> Option<Key<'_>> {
    Some(match v {
        Value::Null => return None,
        Value::Int(i) => Key::Int(*i),
        Value::Float(f) if f.fract() == 0.0 => Key::Int(*f as i64),
        Value::Text(s) => match s.parse::<i64>() {
            Ok(i) if i.to_string() == **s => Key::Int(i),
            _ => Key::Text(std::borrow::Cow::Borrowed(s)),
        },
        other => Key::Text(std::borrow::Cow::Owned(other.render().unwrap_or_default())),
    })
}

/// One FROM factor in textual order with how it joins to everything before it.
struct Factor<'q> {
    rel: Rel,
    kind: char,
    constraint: Option<&'q sp::JoinConstraint>,
}

/// A WHERE / ON conjunct and the factors it reads (`None`: can't be moved — subqueries,
/// aggregates, outer or alias references, ambiguous names).
struct Conjunct<'q> {
    expr: &'q sp::Expr,
    factors: Option<Vec<usize>>,
    from_where: bool,
    done: bool,
}

fn conjuncts<'q>(e: &'q sp::Expr, out: &mut Vec<&'q sp::Expr>) {
    match e {
        sp::Expr::BinaryOp { left, op: sp::BinaryOperator::And, right } => {
            conjuncts(left, out);
            conjuncts(right, out);
        }
        sp::Expr::Nested(inner) => match inner.as_ref() {
            sp::Expr::BinaryOp { op: sp::BinaryOperator::And, .. } => conjuncts(inner, out),
            _ => out.push(e),
        },
        _ => out.push(e),
    }
}

pub(super) fn join_kind(op: &sp::JoinOperator) -> Result<(char, &sp::JoinConstraint), SqlError> {
    use sp::JoinOperator as J;
    Ok(match op {
        J::Join(c) | J::Inner(c) | J::CrossJoin(c) => ('i', c),
        J::Left(c) | J::LeftOuter(c) => ('l', c),
        J::Right(c) | J::RightOuter(c) => ('r', c),
        J::FullOuter(c) => ('f', c),
        _ => return Err(SqlError::unsupported(UNSUPPORTED_JOIN)),
    })
}

impl Engine<'_> {
    /// Every name a SELECT mentions (for dropping the columns nobody reads), or `None` when all
    /// columns are needed (`*`, `NATURAL`, `USING`).
    pub(super) fn referenced_names(
        &self,
        s: &sp::Select,
        order: &[sp::OrderByExpr],
    ) -> Option<HashSet<String>> {
        let wildcard = s.projection.iter().any(|p| {
            matches!(p, sp::SelectItem::Wildcard(_) | sp::SelectItem::QualifiedWildcard(..))
        });
        let implicit = s.from.iter().flat_map(|f| &f.joins).any(|j| {
            join_kind(&j.join_operator).is_ok_and(|(_, c)| {
                matches!(c, sp::JoinConstraint::Using(_) | sp::JoinConstraint::Natural)
            })
        });
        let nested = s.from.iter().any(|f| {
            std::iter::once(&f.relation)
                .chain(f.joins.iter().map(|j| &j.relation))
                .any(|r| !matches!(r, sp::TableFactor::Table { .. }))
        });
        if wildcard || implicit || nested {
            return None;
        }
        let mut names = HashSet::new();
        let mut walker = QueryWalk {
            on_expr: &mut |e: &sp::Expr| match e {
                sp::Expr::Identifier(i) => {
                    names.insert(ident(i));
                }
                sp::Expr::CompoundIdentifier(parts) => {
                    names.extend(parts.iter().map(ident));
                }
                _ => {}
            },
            on_table: &mut |_| {},
            incomplete: false,
        };
        walker.select(s);
        for o in order {
            walker.expr(&o.expr);
        }
        if walker.incomplete {
            return None;
        }
        Some(names)
    }

    /// The factor a column reference reads, if exactly one column of one factor matches.
    fn factor_of(e: &sp::Expr, factors: &[Factor<'_>]) -> Option<usize> {
        let (qual, name) = match e {
            sp::Expr::Identifier(i) => (None, ident(i)),
            sp::Expr::CompoundIdentifier(parts) => match parts.as_slice() {
                [q, n] | [_, q, n] | [_, _, q, n] => (Some(ident(q)), ident(n)),
                _ => return None,
            },
            _ => return None,
        };
        let mut found = None;
        for (k, f) in factors.iter().enumerate() {
            for c in &f.rel.cols {
                if c.name == name && qual.as_ref().is_none_or(|q| c.qual.as_ref() == Some(q)) {
                    if found.is_some() {
                        return None;
                    }
                    found = Some(k);
                }
            }
        }
        found
    }

    fn conjunct_factors(e: &sp::Expr, factors: &[Factor<'_>]) -> Option<Vec<usize>> {
        let mut ok = !contains_aggregate(e);
        let mut refs = Vec::new();
        walk(e, &mut |x| match x {
            sp::Expr::Identifier(_) | sp::Expr::CompoundIdentifier(_) => {
                match Self::factor_of(x, factors) {
                    Some(k) => refs.push(k),
                    None => ok = false,
                }
            }
            sp::Expr::Subquery(_) | sp::Expr::InSubquery { .. } | sp::Expr::Exists { .. } => {
                ok = false
            }
            _ => {}
        });
        refs.sort_unstable();
        refs.dedup();
        (ok && !refs.is_empty()).then_some(refs)
    }

    /// FROM with the WHERE clause: returns the joined relation and the WHERE conjuncts still to be
    /// checked on it. Conjuncts that read one factor of the leading run of inner joins filter that
    /// factor's scan; those linking several become join conditions, and that run is joined
    /// smallest-first along them. Outer joins after the run keep their order and ON semantics;
    /// RIGHT / FULL joins anywhere use the plain left-to-right plan.
    pub(super) fn plan_from<'q>(
        &self,
        from: &'q [sp::TableWithJoins],
        selection: Option<&'q sp::Expr>,
        referenced: Option<&HashSet<String>>,
        outer: Option<&Scope<'_>>,
        ctes: &Ctes,
    ) -> Result<(Rel, Vec<&'q sp::Expr>), SqlError> {
        let mut where_parts = Vec::new();
        if let Some(w) = selection {
            conjuncts(w, &mut where_parts);
        }
        let mut kinds = Vec::new();
        for item in from {
            for j in &item.joins {
                kinds.push(join_kind(&j.join_operator)?.0);
            }
        }
        if from.is_empty() || kinds.iter().any(|k| *k == 'r' || *k == 'f') {
            let mut src: Option<Rel> = None;
            for item in from {
                let rel = self.join_tree(item, outer, ctes)?;
                src = Some(match src {
                    None => rel,
                    Some(l) => self.join(l, rel, 'i', JoinOn::On(Vec::new()), outer, ctes)?,
                });
            }
            let src = src.unwrap_or(Rel { cols: Vec::new(), rows: vec![Vec::new()] });
            return Ok((src, where_parts));
        }
        // Every factor, scanned in textual order (errors come in the same order as before).
        let mut factors: Vec<Factor<'q>> = Vec::new();
        for item in from {
            let rel = self.table_factor(&item.relation, outer, ctes, referenced)?;
            factors.push(Factor { rel, kind: 'i', constraint: None });
            for j in &item.joins {
                let rel = self.table_factor(&j.relation, outer, ctes, referenced)?;
                let (kind, c) = join_kind(&j.join_operator)?;
                factors.push(Factor { rel, kind, constraint: Some(c) });
            }
        }
        // Columns no expression names are dropped before any row is copied by a join (without
        // `*`, NATURAL or USING nothing refers to a column by position).
        if let Some(names) = referenced {
            for f in &mut factors {
                let keep: Vec<usize> = (0..f.rel.cols.len())
                    .filter(|i| names.contains(&f.rel.cols[*i].name))
                    .collect();
                if keep.len() == f.rel.cols.len() {
                    continue;
                }
                f.rel.cols = keep.iter().map(|&i| f.rel.cols[i].clone()).collect();
                for row in &mut f.rel.rows {
                    let mut old = std::mem::take(row);
                    *row =
                        keep.iter().map(|&i| std::mem::replace(&mut old[i], Value::Null)).collect();
                }
            }
        }
        // The leading run of inner joins whose ON conditions can be taken apart.
        let mut pool: Vec<Conjunct<'q>> = Vec::new();
        let mut run = factors.len();
        for k in 1..factors.len() {
            let f = &factors[k];
            let on = match f.constraint {
                None | Some(sp::JoinConstraint::None) => None,
                Some(sp::JoinConstraint::On(e)) => Some(e),
                Some(_) => {
                    run = k;
                    break;
                }
            };
            if f.kind != 'i' {
                run = k;
                break;
            }
            let mut parts = Vec::new();
            if let Some(e) = on {
                conjuncts(e, &mut parts);
            }
            let analysed: Vec<Option<Vec<usize>>> =
                parts.iter().map(|e| Self::conjunct_factors(e, &factors[..=k])).collect();
            if analysed.iter().any(Option::is_none) {
                run = k;
                break;
            }
            for (expr, factors) in parts.into_iter().zip(analysed) {
                pool.push(Conjunct { expr, factors, from_where: false, done: false });
            }
        }
        let mut residual = Vec::new();
        for expr in where_parts {
            match Self::conjunct_factors(expr, &factors) {
                Some(refs) if refs.iter().all(|k| *k < run) => {
                    pool.push(Conjunct { expr, factors: Some(refs), from_where: true, done: false })
                }
                _ => residual.push(expr),
            }
        }
        // Single-factor conjuncts filter their scan.
        for c in &mut pool {
            let Some([k]) = c.factors.as_deref() else {
                continue;
            };
            let f = &mut factors[*k];
            let bindings = Bindings::new(self, &f.rel.cols, [c.expr]);
            let mut kept = Vec::with_capacity(f.rel.rows.len());
            for row in std::mem::take(&mut f.rel.rows) {
                let sc = Scope {
                    cols: &f.rel.cols,
                    row: &row,
                    group: None,
                    parent: outer,
                    aliases: None,
                    bound: Some(&bindings),
                };
                if self.eval(c.expr, &sc, ctes)?.truth() == Some(true) {
                    kept.push(row);
                }
            }
            f.rel.rows = kept;
            c.done = true;
        }
        // Join the run smallest-first, preferring factors linked by a remaining conjunct.
        let widths: Vec<usize> = factors.iter().map(|f| f.rel.cols.len()).collect();
        let mut slots: Vec<Option<Rel>> =
            factors.iter_mut().map(|f| Some(std::mem::take(&mut f.rel))).collect();
        let size = |slots: &[Option<Rel>], k: usize| slots[k].as_ref().map_or(0, |r| r.rows.len());
        let start = (0..run).min_by_key(|k| size(&slots, *k)).unwrap_or(0);
        let mut joined = vec![start];
        let mut cur = slots[start].take().unwrap_or_default();
        // Room for every factor's columns in each row: later joins extend rows in place.
        let total_width: usize = widths.iter().sum();
        for row in &mut cur.rows {
            row.reserve_exact(total_width.saturating_sub(row.len()));
        }
        while joined.len() < run {
            let linked = |k: usize| {
                pool.iter().any(|c| {
                    !c.done
                        && c.factors.as_ref().is_some_and(|fs| {
                            fs.contains(&k) && fs.iter().all(|x| *x == k || joined.contains(x))
                        })
                })
            };
            let candidates: Vec<usize> = (0..run).filter(|k| !joined.contains(k)).collect();
            let next = candidates
                .iter()
                .copied()
                .filter(|k| linked(*k))
                .min_by_key(|k| size(&slots, *k))
                .or_else(|| candidates.iter().copied().min_by_key(|k| size(&slots, *k)))
                .unwrap_or(0);
            let mut on = Vec::new();
            for c in pool.iter_mut().filter(|c| !c.done) {
                let Some(fs) = &c.factors else { continue };
                if fs.contains(&next) && fs.iter().all(|x| *x == next || joined.contains(x)) {
                    c.done = true;
                    on.push(c.expr);
                }
            }
            let right = slots[next].take().unwrap_or_default();
            cur = self.join(cur, right, 'i', JoinOn::On(on), outer, ctes)?;
            joined.push(next);
        }
        // Back to textual column order where `*` will list them (else names are all that count).
        if referenced.is_none() && joined.windows(2).any(|w| w[0] > w[1]) {
            cur = permute(cur, &joined, &widths);
        }
        for c in &pool {
            if !c.done && c.from_where {
                residual.push(c.expr);
            }
        }
        for k in run..factors.len() {
            let right = slots[k].take().unwrap_or_default();
            let f = &factors[k];
            let on = match f.constraint {
                Some(c) => JoinOn::new(c)?,
                None => JoinOn::On(Vec::new()),
            };
            cur = self.join(cur, right, f.kind, on, outer, ctes)?;
        }
        Ok((cur, residual))
    }
}

/// Reorders the columns of `rel`, laid out factor by factor in `order`, to factor order 0, 1, ….
fn permute(mut rel: Rel, order: &[usize], widths: &[usize]) -> Rel {
    let mut start = vec![0; widths.len()];
    let mut at = 0;
    for &k in order {
        start[k] = at;
        at += widths[k];
    }
    let mut sorted = order.to_vec();
    sorted.sort_unstable();
    let map: Vec<usize> = sorted.iter().flat_map(|&k| start[k]..start[k] + widths[k]).collect();
    let mut cols = std::mem::take(&mut rel.cols).into_iter().map(Some).collect::<Vec<_>>();
    rel.cols = map.iter().filter_map(|&i| cols[i].take()).collect();
    for row in &mut rel.rows {
        let mut old = std::mem::take(row);
        *row = map.iter().map(|&i| std::mem::replace(&mut old[i], Value::Null)).collect();
    }
    rel
}
