"""Validates the files `trailguard fix --out-dir` writes with the tools their users run.

usage: validate_forms.py DIR
For each key folder: cfn-lint on cloudformation.yaml (its KeyPolicy must equal policy.json), and python-hcl2 on
terraform.tf (it must parse, and name every statement's Sid). Prints one JSON line per file and exits 1 on any problem.
"""
import glob
import json
import os
import shutil
import subprocess
import sys

import hcl2
import yaml


class CfnLoader(yaml.SafeLoader):
    """Reads the template's data; the snippets use no intrinsic-function tags."""


# cfn-lint's own command, installed beside this Python (pip install cfn-lint).
CFN_LINT = shutil.which('cfn-lint', path=os.path.dirname(sys.executable) + os.pathsep + os.environ.get('PATH', ''))


def main(folder: str) -> int:
    failed = False
    keys = sorted(glob.glob(os.path.join(folder, '*', 'policy.json')))
    templates = [os.path.join(os.path.dirname(key), 'cloudformation.yaml') for key in keys]
    # One cfn-lint run for every template (each run starts Python and loads its schemas); it names the file of each problem.
    lint = subprocess.run([CFN_LINT, *templates], capture_output=True, text=True) if templates else None
    for key, template in zip(keys, templates):
        base = os.path.dirname(key)
        policy = json.load(open(key))
        problems = [line for line in (lint.stdout + lint.stderr).splitlines() if template in line]
        resources = yaml.load(open(template), Loader=CfnLoader)['Resources']
        same = all(r['Properties']['KeyPolicy'] == policy for r in resources.values())
        ok = same and not problems
        print(json.dumps({'file': template, 'ok': ok, 'policy-equal': same, 'problems': problems[:20]}))
        failed |= not ok
        terraform = os.path.join(base, 'terraform.tf')
        try:
            parsed = hcl2.load(open(terraform))
            text = json.dumps(parsed)
            sids = [s.get('Sid') for s in (policy['Statement'] if isinstance(policy['Statement'], list) else [policy['Statement']])]
            named = all(sid is None or sid in text for sid in sids)
            print(json.dumps({'file': terraform, 'ok': named, 'resources': [list(r.keys()) for r in parsed.get('resource', [])]}))
            failed |= not named
        except Exception as error:  # the parser's own error, reported as the file's problem
            print(json.dumps({'file': terraform, 'ok': False, 'error': str(error)}))
            failed = True
    # A failed run whose problems name no template (cfn-lint itself broke) fails too.
    if lint is not None and lint.returncode != 0 and not any(t in lint.stdout + lint.stderr for t in templates):
        print(json.dumps({'file': None, 'ok': False, 'cfn-lint': lint.returncode, 'out': (lint.stdout + lint.stderr)[-2000:]}))
        failed = True
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1]))
