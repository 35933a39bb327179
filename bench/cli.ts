/** A bench CLI's entry: run `main`, exit 0 when it is done (open handles must not keep it up), 1 on error. */
export function runMain(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
