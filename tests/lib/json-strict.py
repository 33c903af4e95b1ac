# json-strict.py FILE... - exit 1 naming every FILE that is not strict
# JSON. Python's json module rejects raw control characters in strings
# (strict=True is its default, as for "python3 -m json.tool"), and the
# bytes are decoded as UTF-8 without replacement, so invalid UTF-8 fails
# too. One process for many files: a python start per file costs more
# than the deskctl run it checks.
import json
import sys

bad = 0
for path in sys.argv[1:]:
    try:
        with open(path, "rb") as f:
            json.loads(f.read().decode("utf-8"), strict=True)
    except (ValueError, UnicodeDecodeError) as e:
        bad += 1
        print("%s: %s" % (path, e))
sys.exit(1 if bad else 0)
