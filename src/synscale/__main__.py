from synscale.cli import main

main()
