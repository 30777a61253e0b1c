#!/usr/bin/python3
"""Run every example of README.md and docs/*.md against a live server.

Usage: test/docs/run_docs.py [FILE.md ...]     (default: README.md docs/*.md)

Finds the server through the libpq environment (PGHOST, PGPORT, PGUSER) and
runs `psql` from PATH; test/run_all.sh (suite `docs`) sets both.  Prints TAP:
one test per ```sql block and per ```sh block, named FILE:LINE (the line of
the opening fence).

Each markdown file gets a fresh database, a copy of a template holding the
fixtures (test/docs/fixtures.sql, CREATE EXTENSION vgm, then
test/docs/fixtures_vgm.sql).  The blocks of a file run in order in that
database, each in its own psql session, so tables an example creates are
there for the next one; nothing carries over from one file to another.

A ```sql block runs as one psql script with ON_ERROR_STOP, and passes when
psql exits 0 and every output the block shows matches.  An output is shown
  * inside the block, right after a statement: psql's table as comment lines
    (`-- ` then the table, with its `---+---` rule), or indented lines that
    are not comments (EXPLAIN plans); a line `...` stands for any lines;
  * or as a ``` / ```text block right after the sql block: the whole output
    of `psql -f` (stdout and stderr) of the block saved as a file.
Shown and actual output are compared line by line with whitespace collapsed,
dashes of table rules collapsed, and numbers equal within 1e-9 relative
(so 15 shown digits match psql's 17).

A ```sh block runs with bash (-e, -o pipefail) in a temporary directory with
PGDATABASE set to the file's database, if each of its commands is a psql
call; any other sh block needs a marker.

Markers: an HTML comment on the line before the opening fence (invisible when
the markdown is rendered), with directives separated by `;`:

  <!-- docs-test: skip REASON -->         not run; reported as a TAP skip
  <!-- docs-test: requires citus -->      needs a Citus cluster: skipped here
                                          (test/citus/run.sh runs it)
  <!-- docs-test: own-database -->        run in a database of its own with
                                          the fixtures but without vgm
  <!-- docs-test: illustrative -->        run, but do not compare the output
  <!-- docs-test: set NAME=VALUE -->      SET before the block (repeatable)
  <!-- docs-test: var NAME=VALUE -->      psql variable (`:'NAME'`)
  <!-- docs-test: file NAME -->           the script file name psql reports
                                          (`psql:NAME:10: ERROR: ...`)
  <!-- docs-test: exit N -->              psql's (or the sh block's) expected
                                          exit status, default 0
  <!-- docs-test: stub NAME -->           sh: a command NAME that does nothing
                                          (a placeholder in the example)
"""
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from vgmtest import REPO as ROOT, run_client  # noqa: E402

FIXTURES = os.path.join(ROOT, "test", "docs", "fixtures.sql")
FIXTURES_VGM = os.path.join(ROOT, "test", "docs", "fixtures_vgm.sql")
PLAIN_TEMPLATE = "vgm_docs_plain"
FULL_TEMPLATE = "vgm_docs_template"
REL_TOL = 1e-9

MARKER_RE = re.compile(r"^\s*<!--\s*docs-test:\s*(.*?)\s*-->\s*$")
FENCE_RE = re.compile(r"^```\s*([A-Za-z0-9_+-]*)\s*$")
NUM_RE = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
RULE_RE = re.compile(r"^\s*-+(\+-+)*\s*$")


class DocError(Exception):
    """A problem with a block or its marker, reported as a failed test."""


# ---------------------------------------------------------------- markdown --

class Block:
    def __init__(self, path, line, lang, lines, directives, output):
        self.path = path            # relative to ROOT
        self.line = line            # 1-based line of the opening fence
        self.lang = lang
        self.lines = lines
        self.directives = directives
        self.output = output        # lines of a following output block, or None

    @property
    def name(self):
        return f"{self.path}:{self.line} {self.lang}"


def parse_directives(text, where):
    """'skip foo bar; set a=1' -> {'skip': 'foo bar', 'set': ['a=1'], ...}"""
    d = {"set": [], "var": [], "stub": []}
    for part in filter(None, (p.strip() for p in text.split(";"))):
        key, _, arg = part.partition(" ")
        arg = arg.strip()
        if key in ("set", "var", "stub"):
            if not arg:
                raise DocError(f"{where}: marker '{key}' needs an argument")
            d[key].append(arg)
        elif key in ("skip", "requires", "file", "exit"):
            if not arg:
                raise DocError(f"{where}: marker '{key}' needs an argument")
            d[key] = arg
        elif key in ("own-database", "illustrative"):
            d[key] = True
        else:
            raise DocError(f"{where}: unknown docs-test marker '{key}'")
    return d


def parse_markdown(path):
    """Return (blocks, errors): the fenced blocks with their markers and
    output blocks; errors are markers that precede no block."""
    with open(os.path.join(ROOT, path), encoding="utf-8") as f:
        lines = f.read().split("\n")
    fences = []                 # (start, end, lang, marker text, marker line)
    i = 0
    errors = []
    while i < len(lines):
        m = FENCE_RE.match(lines[i])
        if m:
            start, lang = i, m.group(1).lower()
            j = i + 1
            while j < len(lines) and not re.match(r"^```\s*$", lines[j]):
                j += 1
            marker, mline = None, None
            k = start - 1
            if k >= 0 and MARKER_RE.match(lines[k]):
                marker, mline = MARKER_RE.match(lines[k]).group(1), k + 1
            fences.append((start, j, lang, marker, mline))
            i = j + 1
            continue
        i += 1
    # markers not directly above a fence
    marked = {f[4] for f in fences if f[4]}
    for n, line in enumerate(lines, 1):
        if MARKER_RE.match(line) and n not in marked:
            errors.append(f"{path}:{n}: docs-test marker not directly above a code block")
    blocks = []
    for idx, (start, end, lang, marker, mline) in enumerate(fences):
        if lang not in ("sql", "sh"):
            continue
        output = None
        if idx + 1 < len(fences):
            nstart, nend, nlang, _, _ = fences[idx + 1]
            between = lines[end + 1:nstart]
            if nlang in ("", "text") and all(not s.strip() for s in between):
                output = lines[nstart + 1:nend]
        try:
            directives = parse_directives(marker or "", f"{path}:{mline}")
        except DocError as e:
            errors.append(str(e))
            directives = {"set": [], "var": [], "stub": []}
        blocks.append(Block(path, start + 1, lang, lines[start + 1:end], directives, output))
    return blocks, errors


# --------------------------------------------------------------------- SQL --

def statement_end(text, state):
    """Scan text (one line plus newline) for the end of an SQL statement.
    state: dict with 'quote' (None, "'", '"', '$tag$', '/*') carried across
    lines.  Returns the index just past the terminating ';' or -1."""
    i, n = 0, len(text)
    while i < n:
        q = state["quote"]
        c = text[i]
        if q is None:
            if c == "-" and text.startswith("--", i):
                return -1                       # rest of the line is a comment
            if c == "/" and text.startswith("/*", i):
                state["quote"] = "/*"
                i += 2
                continue
            if c in ("'", '"'):
                state["quote"] = c
            elif c == "$":
                m = re.match(r"\$([A-Za-z_][A-Za-z0-9_]*)?\$", text[i:])
                if m:
                    state["quote"] = m.group(0)
                    i += len(m.group(0))
                    continue
            elif c == ";":
                return i + 1
            i += 1
        elif q == "/*":
            j = text.find("*/", i)
            if j < 0:
                return -1
            state["quote"] = None
            i = j + 2
        elif q in ("'", '"'):
            j = text.find(q, i)
            if j < 0:
                return -1
            state["quote"] = None
            i = j + 1
        else:                                   # dollar quote
            j = text.find(q, i)
            if j < 0:
                return -1
            state["quote"] = None
            i = j + len(q)
    return -1


def split_sql(lines):
    """Split a sql block into items: {'text', 'expected'} where text is a
    statement or a psql meta-command and expected the output lines the block
    shows for it (None when it shows none)."""
    items = []
    cur = []
    state = {"quote": None}
    after = None                # comment/output lines right after an item
    for line in lines:
        if cur:
            cur.append(line)
            end = statement_end(line + "\n", state)
            if end >= 0 and state["quote"] is None:
                items.append({"text": "\n".join(cur), "expected": None, "after": []})
                cur = []
                after = items[-1]["after"]
            continue
        stripped = line.strip()
        if not stripped:
            after = None
            continue
        if stripped.startswith("--"):
            if after is not None:
                after.append(("comment", line))
            continue
        if line[:1].isspace() and after is not None and items:
            after.append(("plain", line))
            continue
        after = None
        if stripped.startswith("\\"):
            items.append({"text": stripped, "expected": None, "after": []})
            after = items[-1]["after"]
            continue
        cur = [line]
        state = {"quote": None}
        end = statement_end(line + "\n", state)
        if end >= 0 and state["quote"] is None:
            items.append({"text": line, "expected": None, "after": []})
            cur = []
            after = items[-1]["after"]
    if cur:
        raise DocError("unterminated statement: " + cur[0].strip())
    for it in items:
        plain = [l for k, l in it["after"] if k == "plain"]
        comments = [re.sub(r"^\s*--", "", l) for k, l in it["after"] if k == "comment"]
        if plain:
            it["expected"] = plain
        elif any(RULE_RE.match(c) for c in comments):
            # psql's table as comments: the lines up to the last row of it
            it["expected"] = comments
        del it["after"]
    return items


# -------------------------------------------------------------- comparison --

def norm(line):
    line = " ".join(line.split())
    return re.sub(r"-{2,}", "--", line)


def same_line(exp, act):
    e, a = norm(exp), norm(act)
    if e == a:
        return True
    en, an = NUM_RE.findall(e), NUM_RE.findall(a)
    if len(en) != len(an) or NUM_RE.sub("#", e) != NUM_RE.sub("#", a):
        return False
    for x, y in zip(en, an):
        fx, fy = float(x), float(y)
        if abs(fx - fy) > REL_TOL * max(abs(fx), abs(fy)):
            return False
    return True


def match(expected, actual):
    """Line-by-line match; an expected line '...' matches any lines."""
    exp = [l for l in expected if l.strip()]
    act = [l for l in actual if l.strip()]

    def rec(i, j):
        if i == len(exp):
            return j == len(act)
        if exp[i].strip() == "...":
            return any(rec(i + 1, k) for k in range(j, len(act) + 1))
        return j < len(act) and same_line(exp[i], act[j]) and rec(i + 1, j + 1)
    return rec(0, 0)


def diff_text(expected, actual):
    out = ["shown:"] + ["  " + l for l in expected if l.strip()]
    out += ["actual:"] + ["  " + l for l in actual if l.strip()]
    return out


# ------------------------------------------------------------------ running --

def psql(db, args, input_text=None, cwd=None, env=None):
    """psql -X on DB with ARGS; the CompletedProcess."""
    return run_client(args, db=db, input_text=input_text, cwd=cwd, env=env)


def admin(sql):
    r = psql("postgres", ["-q", "-v", "ON_ERROR_STOP=1", "-c", sql])
    if r.returncode != 0:
        raise RuntimeError(f"{sql}: {r.stderr.strip()}")


def create_db(name, template):
    admin(f"DROP DATABASE IF EXISTS {name}")
    admin(f"CREATE DATABASE {name} TEMPLATE {template}")


def load_file(db, path):
    r = psql(db, ["-q", "-v", "ON_ERROR_STOP=1", "-f", path])
    if r.returncode != 0:
        raise RuntimeError(f"loading {os.path.relpath(path, ROOT)}: {r.stderr.strip()}")


def make_templates():
    for t in (FULL_TEMPLATE, PLAIN_TEMPLATE):
        admin(f"DROP DATABASE IF EXISTS {t}")
    admin(f"CREATE DATABASE {PLAIN_TEMPLATE}")
    load_file(PLAIN_TEMPLATE, FIXTURES)
    admin(f"CREATE DATABASE {FULL_TEMPLATE} TEMPLATE {PLAIN_TEMPLATE}")
    r = psql(FULL_TEMPLATE, ["-q", "-v", "ON_ERROR_STOP=1", "-c", "CREATE EXTENSION vgm"])
    if r.returncode != 0:
        raise RuntimeError("CREATE EXTENSION vgm: " + r.stderr.strip())
    load_file(FULL_TEMPLATE, FIXTURES_VGM)


def drop_all(names):
    for n in names:
        psql("postgres", ["-q", "-c", f"DROP DATABASE IF EXISTS {n}"])


def psql_vars(block):
    args = []
    for v in block.directives["var"]:
        if "=" not in v:
            raise DocError(f"marker 'var {v}' is not NAME=VALUE")
        args += ["-v", v]
    return args


def settings_sql(block):
    out = []
    for s in block.directives["set"]:
        name, eq, value = s.partition("=")
        if not eq:
            raise DocError(f"marker 'set {s}' is not NAME=VALUE")
        out.append(f"SET {name.strip()} = {value.strip()};")
    return out


def expected_exit(block):
    try:
        return int(block.directives.get("exit", "0"))
    except ValueError:
        raise DocError("marker 'exit' needs a number")


def run_sql_block(block, db, tmp):
    """Returns a list of diagnostic lines (empty when the block passed)."""
    want_exit = expected_exit(block)
    if block.output is not None:
        # The block shows psql's whole output: run it as the file it names.
        fname = block.directives.get("file", "example.sql")
        script = os.path.join(tmp, fname)
        with open(script, "w") as f:
            f.write("\n".join(settings_sql(block) + block.lines) + "\n")
        r = subprocess.run(["psql", "-X", "-d", db] + psql_vars(block) + ["-f", fname],
                           cwd=tmp, text=True, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT)
        actual = r.stdout.split("\n")
        problems = []
        if r.returncode != want_exit:
            problems.append(f"psql exited {r.returncode}, expected {want_exit}")
        if not block.directives.get("illustrative") and not match(block.output, actual):
            problems += ["the output shown after the block differs"] + diff_text(block.output, actual)
        return problems
    items = split_sql(block.lines)
    script = ["\\set ON_ERROR_STOP 1", "\\pset footer off"] + settings_sql(block)
    for n, it in enumerate(items):
        script.append(f"\\echo @@docs-item {n}")
        tuples_only = it["expected"] is not None and not any(RULE_RE.match(l) for l in it["expected"])
        if tuples_only:
            script.append("\\pset tuples_only on")
        script.append(it["text"])
        if tuples_only:
            script.append("\\pset tuples_only off")
    script.append("\\echo @@docs-item end")
    path = os.path.join(tmp, block.directives.get("file", "example.sql"))
    with open(path, "w") as f:
        f.write("\n".join(script) + "\n")
    r = psql(db, ["-q"] + psql_vars(block) + ["-f", path], cwd=tmp)
    problems = []
    if r.returncode != want_exit:
        problems.append(f"psql exited {r.returncode}, expected {want_exit}")
        problems += ["stderr:"] + ["  " + l for l in r.stderr.strip().split("\n")[-8:]]
    chunks, cur = {}, None
    for line in r.stdout.split("\n"):
        m = re.match(r"^@@docs-item (\S+)$", line)
        if m:
            cur = m.group(1)
            chunks[cur] = []
        elif cur is not None:
            chunks[cur].append(line)
    if block.directives.get("illustrative"):
        return problems
    for n, it in enumerate(items):
        if it["expected"] is None:
            continue
        actual = chunks.get(str(n))
        if actual is None:
            if not problems:
                problems.append(f"no output for: {it['text'].strip()[:60]}")
            continue
        if not match(it["expected"], actual):
            problems.append("output differs for: " + " ".join(it["text"].split())[:100])
            problems += diff_text(it["expected"], actual)
    return problems


def sh_commands_are_psql(lines):
    logical, cur = [], ""
    for line in lines:
        s = line.strip()
        if not cur and (not s or s.startswith("#")):
            continue
        cur += " " + s
        if s.endswith("\\") or s.endswith("|") or s.endswith("&&"):
            continue
        logical.append(cur.strip())
        cur = ""
    if cur:
        logical.append(cur.strip())
    return bool(logical) and all(l.startswith("psql ") for l in logical)


def run_sh_block(block, db, tmp):
    if not block.directives["stub"] and not sh_commands_are_psql(block.lines):
        raise DocError("an sh block that is not a psql call needs a marker "
                       "(docs-test: skip REASON, or stub NAME for placeholders)")
    prelude = ["set -eo pipefail"]
    for s in block.directives["stub"]:
        if not re.match(r"^[A-Za-z_][A-Za-z0-9_-]*$", s):
            raise DocError(f"marker 'stub {s}' is not a command name")
        prelude.append(f"{s}() {{ :; }}")
    path = os.path.join(tmp, "example.sh")
    with open(path, "w") as f:
        f.write("\n".join(prelude + block.lines) + "\n")
    env = dict(os.environ, PGDATABASE=db)
    r = subprocess.run(["bash", path], cwd=tmp, env=env, text=True,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    want = expected_exit(block)
    if r.returncode != want:
        return [f"bash exited {r.returncode}, expected {want}", "stderr:"] + \
               ["  " + l for l in r.stderr.strip().split("\n")[-8:]]
    return []


def skip_reason(block):
    d = block.directives
    if "skip" in d:
        return d["skip"]
    if "requires" in d:
        if d["requires"] == "citus":
            return "needs a Citus cluster (test/citus/run.sh runs these statements)"
        return f"needs {d['requires']}"
    return None


# --------------------------------------------------------------------- main --

def main(argv):
    files = argv[1:] or ["README.md"] + sorted(
        os.path.relpath(p, ROOT) for p in glob.glob(os.path.join(ROOT, "docs", "*.md")))
    parsed = []
    for f in files:
        blocks, errors = parse_markdown(f)
        parsed.append((f, blocks, errors))
    total = sum(len(b) + len(e) for _, b, e in parsed)
    print(f"1..{total}")
    if total == 0:
        return 0
    num = 0
    failed = 0
    skipped = 0
    created = []
    tmp = tempfile.mkdtemp(prefix="vgm-docs.")
    try:
        try:
            make_templates()
        except RuntimeError as e:
            print(f"Bail out! fixtures: {e}")
            return 1
        created += [FULL_TEMPLATE, PLAIN_TEMPLATE]
        for f, blocks, errors in parsed:
            for e in errors:
                num += 1
                failed += 1
                print(f"not ok {num} - {e}")
            if not blocks:
                continue
            db = "vgm_docs_" + re.sub(r"[^a-z0-9]+", "_", f.lower()).strip("_")
            create_db(db, FULL_TEMPLATE)
            created.append(db)
            for b in blocks:
                num += 1
                reason = skip_reason(b)
                if reason:
                    skipped += 1
                    print(f"ok {num} - {b.name} # SKIP {reason}")
                    continue
                target = db
                try:
                    if b.directives.get("own-database"):
                        target = "vgm_docs_own"
                        create_db(target, PLAIN_TEMPLATE)
                    if b.lang == "sql":
                        problems = run_sql_block(b, target, tmp)
                    else:
                        problems = run_sh_block(b, target, tmp)
                except DocError as e:
                    problems = [str(e)]
                finally:
                    if target != db:
                        drop_all([target])
                if problems:
                    failed += 1
                    print(f"not ok {num} - {b.name}")
                    for p in problems:
                        print("#   " + p)
                else:
                    print(f"ok {num} - {b.name}")
    finally:
        if os.environ.get("KEEP_DOCS_DB") != "1":
            drop_all(reversed(created))
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"# {num - failed - skipped} ran and passed, {skipped} skipped, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
