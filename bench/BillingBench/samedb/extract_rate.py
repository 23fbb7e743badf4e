import re,sys
src=sys.argv[1]
s=open(src).read()
m=re.search(r'static let rateSQL = """\n(.*?)\n\s*"""', s, re.S)
sql=m.group(1).replace('\\\\','\\')
# strip the 4-space indentation Swift removes
lines=[l[4:] if l.startswith('    ') else l for l in sql.split('\n')]
print('\n'.join(lines))
