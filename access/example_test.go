package access_test

import (
	"fmt"

	"github.com/atomixplatform/atomix/access"
)

// A member may view and create tasks, edit only its own, and never
// delete CRM records, even though it may do everything else there.
func ExampleCompile() {
	perms, err := access.Compile([]string{
		"task:view", "task:create", "task:edit_own", "crm:*", "!crm:delete",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(perms.Check("task:view"))
	fmt.Println(perms.Check("task:edit"))                      // not on every task
	fmt.Println(perms.CheckOwn("task:edit", "usr_1", "usr_1")) // its own task
	fmt.Println(perms.CheckOwn("task:edit", "usr_2", "usr_1")) // another's
	fmt.Println(perms.Check("crm:export"), perms.Check("crm:delete"))
	fmt.Println(perms.Check("crmx:view")) // no prefix matching

	_, err = access.Compile([]string{"Task:View"})
	fmt.Println(err != nil)
	// Output:
	// true
	// false
	// true
	// false
	// true false
	// false
	// true
}
