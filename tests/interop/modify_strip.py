"""Print an h5dump output without its first line and without the blocks test_modify.sh adds
(ATTRIBUTE "h5kit_added" and GROUP "h5kit_new_group"), object addresses inside reference values
and the names h5dump gives unlinked committed types ("#ADDR") masked. Also checks that the
number of added attributes is at least `expect` (argv[2]), exiting 1 otherwise."""
import re
import sys

lines = open(sys.argv[1], encoding="utf-8", errors="replace").read().split("\n")[1:]
expect = int(sys.argv[2]) if len(sys.argv) > 2 else 0
out, i, added = [], 0, 0
while i < len(lines):
    line = lines[i]
    if re.match(r'\s*ATTRIBUTE "h5kit_added" \{', line) or re.match(r'\s*GROUP "h5kit_new_group" \{', line):
        added += line.lstrip().startswith("ATTRIBUTE")
        indent = len(line) - len(line.lstrip())
        i += 1
        while i < len(lines) and not (lines[i].strip() == "}" and len(lines[i]) - len(lines[i].lstrip()) == indent):
            i += 1
        i += 1
        continue
    line = re.sub(r'\b(GROUP|DATASET|DATATYPE) [0-9]+ "', r'\1 ADDR "', line)
    line = re.sub(r'"(/?)#[0-9]+"', r'"\1#ADDR"', line)
    out.append(line)
    i += 1
print("\n".join(out))
if added < expect:
    print(f"modify_strip: {added} added attributes printed, expected at least {expect}", file=sys.stderr)
    sys.exit(1)
