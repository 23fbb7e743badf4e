print("switchboardd")
