"""The ``helpline`` console command and its subcommands, ``helpline demo`` among them."""
