from alpha_deploy.cli import main

main()
