import json, os, re, sys
# Input: the 'Chrome Policy Schema Table' section of GAM's wiki/Chrome-Policies.md, from its heading to the end.
lines = open(sys.argv[1]).read().split('\n')
assert lines[0].startswith('## Chrome Policy Schema Table')
body = lines[2:lines.index('```', 2)]
schemas = {}
stack = []  # (indent, node) node: dict with 'kind': message/enum/other, 'fields'/'values'
field_re = re.compile(r'^([A-Za-z_][A-Za-z0-9_]*)(?:: (TYPE_[A-Z0-9_]+))?$')
for raw in body:
    if not raw.strip():
        continue
    indent = len(raw) - len(raw.lstrip(' '))
    text = raw.strip()
    if indent == 0:
        m = re.match(r'^(chrome\.[A-Za-z0-9_.]+)(?::|$)', text)
        if not m:
            print('skip', text, file=sys.stderr); stack=[]; continue
        root = {'fields': {}}
        schemas[m.group(1)] = root['fields']
        stack = [(0, 'message', root)]
        continue
    while stack and stack[-1][0] >= indent:
        stack.pop()
    if not stack or stack[-1][0] != indent - 2:
        continue
    _, kind, node = stack[-1]
    if kind == 'message':
        m = field_re.match(text)
        if not m:
            continue
        name, typ = m.group(1), m.group(2)
        if typ is None:
            child = {'type': 'MESSAGE', 'fields': {}}
            node['fields'][name] = child
            stack.append((indent, 'message', child))
        else:
            child = {'type': typ[5:]}
            if typ == 'TYPE_ENUM':
                child['values'] = []
                stack.append((indent, 'enum', child))
            else:
                stack.append((indent, 'other', child))
            node['fields'][name] = child
    elif kind == 'enum':
        v = text.split(':', 1)[0].strip()
        if re.match(r'^[A-Za-z0-9_]+$', v):
            node['values'].append(v)
        stack.append((indent, 'other', {}))
    else:
        stack.append((indent, 'other', {}))
out = os.path.dirname(os.path.abspath(__file__)) + '/'
names = sorted(schemas)
open(out + 'schema-names.txt', 'w').write('\n'.join(names) + '\n')
# GAM's table shows NullableDuration fields as TYPE_INT64; on the wire they are {"duration": <seconds>}. Verified for these
# from a full policySchemas.get answer of chrome.devices.managedguest.IdleSettingsExtended (same message as chrome.users.*).
for ns in ['chrome.users.IdleSettingsExtended', 'chrome.devices.managedguest.IdleSettingsExtended']:
    for f, spec in schemas[ns].items():
        if f.endswith(('Ac', 'Battery')) and 'Delay' in f:
            spec['type'] = 'NULLABLE_DURATION'
with open(out + 'schemas.json', 'w') as fh:
    fh.write('{\n')
    fh.write(',\n'.join(json.dumps(n) + ':' + json.dumps(schemas[n], sort_keys=True, separators=(',', ':')) for n in names))
    fh.write('\n}\n')
