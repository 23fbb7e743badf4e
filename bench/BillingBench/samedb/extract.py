import re,sys
out=[]
for f in ["./Sources/LegStore/Migrations.swift","./Sources/Billing/BillingMigrations.swift"]:
    s=open(f).read()
    for m in re.finditer(r'sql: """\n(.*?)\n\s*"""', s, re.S):
        out.append(m.group(1).replace('\\\\','\\'))
print(";\n".join(out)+";")
