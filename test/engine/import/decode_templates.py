"""Decodes CloudFormation templates with cfn-lint's own reader, the maintained one CloudFormation users run.

usage: decode_templates.py TEMPLATE...
Prints one JSON object: each file's template as cfn-lint reads it (short-form tags such as !Sub and !GetAtt written
as the long-form intrinsic functions), for the tests to compare with trailguard's reading.
"""
import json
import sys

from cfnlint.decode import decode_str


def main(files):
    out = {}
    for name in files:
        with open(name, encoding='utf-8') as handle:
            template, matches = decode_str(handle.read())
        out[name] = template if not matches else {'errors': [str(m) for m in matches]}
    json.dump(out, sys.stdout, default=str)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
