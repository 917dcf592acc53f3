"""Validates trailguard's ASFF and OCSF output with the libraries their consumers use.

asff: every line is one BatchImportFindings call's input, checked by botocore's own parameter validation against
      the Security Hub service model installed with botocore (at most 100 findings per call).
ocsf: the JSON array's events are OCSF Compliance Findings, checked by py-ocsf-models; a field the model does not
      know is reported too (pydantic would otherwise drop it silently).
Prints one line per problem and exits 1 when there is one.
"""
import json
import sys


def asff(path):
    import botocore.session
    from botocore.validate import ParamValidator

    shape = botocore.session.get_session().get_service_model('securityhub').operation_model('BatchImportFindings').input_shape
    problems, count = [], 0
    with open(path, encoding='utf-8') as lines:
        for number, line in enumerate(lines, 1):
            params = json.loads(line)
            findings = params.get('Findings', [])
            count += len(findings)
            if len(findings) > 100:
                problems.append(f'line {number}: {len(findings)} findings, more than the 100 one call takes')
            report = ParamValidator().validate(params, shape)
            if report.has_errors():
                problems.append(f'line {number}: {report.generate_report()}')
            # botocore checks types and required members; the service also refuses values outside a shape's enum
            # and strings or lists outside its length bounds, which the model records: checked here too.
            problems.extend(f'line {number}: {p}' for p in bounds(params, shape, 'input'))
    return problems, count


def bounds(value, shape, where):
    out = []
    kind = shape.type_name
    if kind == 'structure' and isinstance(value, dict):
        for name, member in shape.members.items():
            if name in value:
                out.extend(bounds(value[name], member, f'{where}.{name}'))
    elif kind == 'list' and isinstance(value, list):
        out.extend(length(value, shape, where))
        for i, item in enumerate(value):
            out.extend(bounds(item, shape.member, f'{where}[{i}]'))
    elif kind == 'map' and isinstance(value, dict):
        for key, item in value.items():
            out.extend(bounds(key, shape.key, f'{where} key {key!r}'))
            out.extend(bounds(item, shape.value, f'{where}[{key!r}]'))
    elif kind == 'string' and isinstance(value, str):
        if shape.enum and value not in shape.enum:
            out.append(f'{where} is {value!r}, not one of {", ".join(shape.enum)}')
        out.extend(length(value, shape, where))
    return out


def length(value, shape, where):
    low, high = shape.metadata.get('min'), shape.metadata.get('max')
    if low is not None and len(value) < low:
        return [f'{where} is shorter than {low}']
    if high is not None and len(value) > high:
        return [f'{where} is longer than {high}']
    return []


def unknown_fields(given, kept, where):
    if isinstance(given, dict) and isinstance(kept, dict):
        out = []
        for key, value in given.items():
            if key not in kept:
                out.append(f'{where}.{key}')
            else:
                out.extend(unknown_fields(value, kept[key], f'{where}.{key}'))
        return out
    if isinstance(given, list) and isinstance(kept, list):
        return [p for i, (g, k) in enumerate(zip(given, kept)) for p in unknown_fields(g, k, f'{where}[{i}]')]
    return []


def ocsf(path):
    from py_ocsf_models.events.findings.compliance_finding import ComplianceFinding

    with open(path, encoding='utf-8') as file:
        events = json.load(file)
    problems = []
    for index, event in enumerate(events):
        try:
            model = ComplianceFinding.model_validate(event)
        except Exception as error:  # pydantic's ValidationError, worded by pydantic
            problems.append(f'event {index}: {error}'.replace('\n', ' '))
            continue
        kept = model.model_dump(mode='json', exclude_unset=True)
        # `unmapped` holds data outside the schema by definition: it is not checked field by field.
        for field in unknown_fields({k: v for k, v in event.items() if k != 'unmapped'}, kept, 'event'):
            problems.append(f'event {index}: {field} is not an OCSF Compliance Finding field')
    return problems, len(events)


if __name__ == '__main__':
    kind, path = sys.argv[1], sys.argv[2]
    problems, count = (asff if kind == 'asff' else ocsf)(path)
    for problem in problems:
        print(problem)
    print(f'{count} findings checked, {len(problems)} problems')
    sys.exit(1 if problems else 0)
