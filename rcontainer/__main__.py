from rcontainer.cli import main

main()
