/** An application that uses dioring as a named module: nothing but {@code requires io.dioring}. */
module io.dioring.example {
    requires io.dioring;
}
